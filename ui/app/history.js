import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { Empty, Notice, PageHeader } from './components.js';
import { dateTime, duration } from './format.js';
import { html } from './html.js';
import { useEvent } from './live.js';

const PAGE = 50;

/** Ended calls, newest first (GET /calls?state=ended), refreshed when a call ends. */
export function HistoryPage() {
  const [calls, setCalls] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState('');
  const first = () => get(`/calls?state=ended&limit=${PAGE}`).then((r) => { setCalls(r.calls); setNext(r.next); }, (e) => setError(e.message));
  useEffect(() => { first(); }, []);
  // The record is written as the call leaves; read the first page again a moment later.
  useEvent('call-ended', () => setTimeout(first, 500));
  const more = async () => {
    const r = await get(`/calls?state=ended&limit=${PAGE}&before=${encodeURIComponent(next)}`);
    setCalls([...calls, ...r.calls]);
    setNext(r.next);
  };
  return html`<section aria-labelledby="page-title">
    <${PageHeader} title="Call history" subtitle="Ended calls with their transcripts." />
    <${Notice} error=${error} />
    ${!calls ? html`<p class="muted">Loading…</p>` : calls.length === 0 ? html`<${Empty}>No call has ended yet.</${Empty}>` : html`<div class="card"><table class="table" aria-label="Call history">
      <thead><tr><th scope="col">Started</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Direction</th><th scope="col" class="num">Duration</th><th scope="col">End reason</th><th scope="col" class="num">Turns</th><th scope="col"><span class="sr-only">Open</span></th></tr></thead>
      <tbody>${calls.map((c) => html`<tr key=${c.id}>
        <td>${dateTime(c.createdAt)}</td>
        <td class="mono">${c.fromNumber ?? '—'}</td><td class="mono">${c.toNumber ?? '—'}</td><td>${c.direction}</td>
        <td class="num">${c.endedAt && c.answeredAt ? duration((c.endedAt - c.answeredAt) / 1000) : '—'}</td>
        <td>${c.endReason ?? '—'}</td>
        <td class="num">${c.transcript?.length ?? 0}</td>
        <td><a href=${`#/calls/${c.id}`} aria-label=${`Open call from ${c.fromNumber ?? 'unknown'} at ${dateTime(c.createdAt)}`}>Transcript</a></td>
      </tr>`)}</tbody>
    </table></div>`}
    ${next ? html`<div class="form-actions"><button type="button" class="btn btn-secondary" onClick=${more}>Load more</button></div>` : null}
  </section>`;
}
