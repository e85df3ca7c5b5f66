import { useEffect, useState } from 'preact/hooks';
import { get, post } from './api.js';
import { ActionButton, Badge, Notice, PageHeader, Progress, Stat } from './components.js';
import { dateTime } from './format.js';
import { html } from './html.js';
import { useEvent } from './live.js';

const STATUSES = ['pending', 'dialing', 'ringing', 'in-progress', 'completed', 'no-answer', 'busy', 'failed', 'voicemail', 'cancelled', 'skipped-dnc', 'invalid'];
const PAGE = 100;

/** One campaign: live progress, controls, and its recipients with a link to each one's call. */
export function CampaignPage({ id }) {
  const [campaign, setCampaign] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get(`/campaigns/${encodeURIComponent(id)}`).then(setCampaign, (e) => setError(e.message));
  }, [id]);
  useEvent('campaign', (c) => c.id === id && setCampaign(c));
  if (!campaign) return html`<section><${Notice} error=${error} />${error ? null : html`<p class="muted">Loading…</p>`}</section>`;
  const c = campaign;
  const control = (action, body) => async () => {
    const r = await post(`/campaigns/${encodeURIComponent(id)}/${action}`, body);
    setCampaign(r.campaign ?? r); // retry answers { campaign, requeued }, the others the campaign itself
  };
  const failedish = (c.counts['no-answer'] ?? 0) + (c.counts.busy ?? 0) + (c.counts.failed ?? 0) + (c.counts.voicemail ?? 0);
  return html`<section aria-labelledby="page-title">
    <${PageHeader} title=${c.name} subtitle=${`${c.type ?? 'agent'} campaign · created ${dateTime(c.createdAt)}${c.agentId ? ` · agent ${c.agentId}` : ''}`}>
      <${Badge} status=${c.status} />
      ${c.status === 'running' || c.status === 'scheduled' ? html`<${ActionButton} action=${control('pause')} onError=${setError}>Pause</${ActionButton}>` : null}
      ${c.status === 'paused' ? html`<${ActionButton} action=${control('resume')} onError=${setError}>Resume</${ActionButton}>` : null}
      ${c.status !== 'cancelled' && failedish > 0 ? html`<${ActionButton} action=${control('retry')} onError=${setError}>Retry unreached (${failedish})</${ActionButton}>` : null}
      ${['running', 'scheduled', 'paused'].includes(c.status) ? html`<${ActionButton} kind="danger" confirm="Cancel this campaign? Numbers not yet called will not be called." action=${control('cancel')} onError=${setError}>Cancel campaign</${ActionButton}>` : null}
    </${PageHeader}>
    <${Notice} error=${error} onClose=${() => setError('')} />
    <div class="card">
      <${Progress} large ratio=${c.progress.ratio} label="Campaign progress" />
      <div class="stats">
        <${Stat} label="total" value=${c.progress.total} />
        <${Stat} label="done" value=${c.progress.done} tone="green" />
        <${Stat} label="in progress" value=${c.progress.active} tone="blue" />
        <${Stat} label="waiting" value=${c.progress.pending} />
        <${Stat} label="completed" value=${c.counts.completed ?? 0} />
        <${Stat} label="not reached" value=${failedish} tone=${failedish ? 'amber' : ''} />
      </div>
    </div>
    <${Recipients} id=${id} version=${c.updatedAt + ':' + c.progress.done + ':' + c.progress.active} />
  </section>`;
}

function Recipients({ id, version }) {
  const [status, setStatus] = useState('');
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState('');
  const path = (after) => `/campaigns/${encodeURIComponent(id)}/recipients?limit=${PAGE}${status ? `&status=${status}` : ''}${after ? `&after=${after}` : ''}`;
  // Reloaded when the campaign's counts change (pushed by the event stream), never on a timer.
  useEffect(() => {
    get(path()).then((r) => { setRows(r.recipients); setNext(r.next); }, (e) => setError(e.message));
  }, [id, status, version]);
  const more = async () => {
    const r = await get(path(next));
    setRows([...rows, ...r.recipients]);
    setNext(r.next);
  };
  return html`<section class="card" aria-labelledby="recipients-title">
    <div class="card-header">
      <h2 id="recipients-title">Recipients</h2>
      <label class="inline-label" for="r-status">Status</label>
      <select id="r-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        <option value="">All</option>
        ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
    </div>
    <${Notice} error=${error} />
    ${!rows ? html`<p class="muted">Loading…</p>` : html`<table class="table" aria-label="Recipients">
      <thead><tr><th scope="col" class="num">Row</th><th scope="col">Number</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Updated</th><th scope="col">Call</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr key=${r.id}>
        <td class="num">${r.rowNumber ?? '—'}</td>
        <td class="mono">${r.phoneNumber}</td>
        <td><${Badge} status=${r.status} /></td>
        <td class="num">${r.attempts}</td>
        <td>${dateTime(r.updatedAt)}</td>
        <td>${r.lastCallId ? html`<a href=${`#/calls/${r.lastCallId}`} aria-label=${`Call to ${r.phoneNumber}`}>Open call</a>` : html`<span class="muted">—</span>`}</td>
      </tr>`)}</tbody>
    </table>`}
    ${next ? html`<div class="form-actions"><button type="button" class="btn btn-secondary" onClick=${more}>Load more</button></div>` : null}
  </section>`;
}
