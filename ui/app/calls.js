import { useEffect, useState } from 'preact/hooks';
import { get, post } from './api.js';
import { ActionButton, Badge, Empty, Notice, PageHeader, Transcript } from './components.js';
import { dateTime, duration, since } from './format.js';
import { html } from './html.js';
import { liveCalls, liveTranscripts, useEvent, useEvents, useNow } from './live.js';

/** Calls in progress, from the event stream. */
export function LiveCallsPage() {
  useEvents(['calls', 'call', 'call-ended']);
  const calls = [...liveCalls.values()].sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at));
  const now = useNow(calls.length > 0);
  return html`<section aria-labelledby="page-title">
    <${PageHeader} title="Live calls" subtitle="Calls in progress on this bridge, updated as they happen." />
    ${calls.length === 0 ? html`<${Empty}>No call in progress.</${Empty}>` : html`<div class="card"><table class="table" aria-label="Live calls">
      <thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">Direction</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col" class="num">Duration</th><th scope="col"><span class="sr-only">Open</span></th></tr></thead>
      <tbody>${calls.map((c) => html`<tr key=${c.id}>
        <td class="mono">${c.from ?? '—'}</td><td class="mono">${c.to ?? '—'}</td><td>${c.direction}</td><td>${c.kind}</td>
        <td><${Badge} status=${c.state} /></td>
        <td class="num">${duration(since(c.started_at, now))}</td>
        <td><a href=${`#/calls/${c.id}`} aria-label=${`Open call from ${c.from ?? 'unknown'} to ${c.to ?? 'unknown'}`}>Open</a></td>
      </tr>`)}</tbody>
    </table></div>`}
  </section>`;
}

/** One call: live (transcript as it is spoken, controls) or ended (stored record and transcript). */
export function CallPage({ id }) {
  const [call, setCall] = useState(null);
  const [error, setError] = useState('');
  const load = () => get(`/calls/${encodeURIComponent(id)}`).then((c) => {
    setCall(c);
    if (c.state !== 'ended' && c.transcript) liveTranscripts.set(c.id, c.transcript);
  }, (e) => setError(e.message));
  useEffect(() => { load(); }, [id]);
  useEvents(['transcript']);
  useEvent('call', (c) => c.id === call?.id && setCall((old) => ({ ...old, ...c })));
  // The stored record (with its end reason and full transcript) is written just after the call leaves.
  useEvent('call-ended', (e) => e.id === call?.id && setTimeout(load, 300));
  const live = call && call.state !== 'ended';
  const now = useNow(Boolean(live));
  if (!call) return html`<section><${Notice} error=${error} />${error ? null : html`<p class="muted">Loading…</p>`}</section>`;
  const entries = live ? liveTranscripts.get(call.id) ?? call.transcript : call.transcript;
  const started = call.started_at ?? call.createdAt;
  const seconds = live ? since(started, now) : call.endedAt && (call.answeredAt ?? call.createdAt) ? (call.endedAt - (call.answeredAt ?? call.createdAt)) / 1000 : null;
  return html`<section aria-labelledby="page-title">
    <${PageHeader} title=${`${call.from ?? call.fromNumber ?? 'unknown'} → ${call.to ?? call.toNumber ?? 'unknown'}`} subtitle=${`${call.direction} ${call.kind ?? ''} call · started ${dateTime(started)}`}>
      <${Badge} status=${call.state} />
    </${PageHeader}>
    <${Notice} error=${error} onClose=${() => setError('')} />
    <div class="grid-2">
      <div class="card">
        <h2>Transcript ${live ? html`<span class="live-dot" aria-hidden="true"></span>` : null}</h2>
        <${Transcript} entries=${entries} />
      </div>
      <div>
        <div class="card">
          <h2>Details</h2>
          <dl class="details">
            <dt>Duration</dt><dd>${duration(seconds)}</dd>
            <dt>Call id</dt><dd class="mono">${call.id}</dd>
            <dt>Provider id</dt><dd class="mono">${call.provider_call_id ?? call.providerCallId ?? '—'}</dd>
            <dt>Agent</dt><dd>${call.agent_id ?? call.agentId ?? '—'}</dd>
            ${call.endReason ? html`<dt>End reason</dt><dd>${call.endReason}</dd>` : null}
            ${call.campaignId ? html`<dt>Campaign</dt><dd><a href=${`#/campaigns/${call.campaignId}`}>Open campaign</a></dd>` : null}
          </dl>
          ${call.recording_url ?? call.recordingUrl ? html`<audio controls src=${call.recording_url ?? call.recordingUrl} aria-label="Call recording"></audio>` : null}
        </div>
        ${live ? html`<${CallControls} call=${call} onError=${setError} />` : null}
      </div>
    </div>
  </section>`;
}

function CallControls({ call, onError }) {
  const [destination, setDestination] = useState('');
  const [mode, setMode] = useState('warm');
  const [text, setText] = useState('');
  const [type, setType] = useState('contextual_update');
  const [sent, setSent] = useState('');
  const base = `/calls/${encodeURIComponent(call.id)}`;
  const agent = call.kind !== 'broadcast';
  return html`<div class="card">
    <h2>Control</h2>
    <div class="control-row">
      <${ActionButton} kind="danger" confirm="Hang up this call?" action=${() => post(`${base}/hangup`)} onError=${onError}>Hang up</${ActionButton}>
    </div>
    ${agent ? html`<form class="control-form" aria-label="Transfer" onSubmit=${async (e) => { e.preventDefault(); try { await post(`${base}/transfer`, { destination, mode }); } catch (err) { onError(err.message); } }}>
      <h3>Transfer</h3>
      <label for="t-dest">Destination (number or rule label)</label>
      <input id="t-dest" required value=${destination} onInput=${(e) => setDestination(e.currentTarget.value)} />
      <label for="t-mode">Mode</label>
      <select id="t-mode" value=${mode} onChange=${(e) => setMode(e.currentTarget.value)}><option value="warm">Warm (operator accepts)</option><option value="cold">Cold</option></select>
      <button type="submit" class="btn btn-secondary">Transfer call</button>
    </form>
    <form class="control-form" aria-label="Message to the agent" onSubmit=${async (e) => { e.preventDefault(); try { await post(`${base}/message`, { text, type }); setSent(text); setText(''); } catch (err) { onError(err.message); } }}>
      <h3>Message to the agent</h3>
      <label for="m-text">Text</label>
      <textarea id="m-text" rows="2" required value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
      <label for="m-type">Deliver as</label>
      <select id="m-type" value=${type} onChange=${(e) => setType(e.currentTarget.value)}><option value="contextual_update">Context (the agent reads it, does not answer it)</option><option value="user_message">User message (the agent answers)</option></select>
      <button type="submit" class="btn btn-secondary">Send message</button>
      ${sent ? html`<p class="ok" role="status">Sent: “${sent}”</p>` : null}
    </form>` : null}
  </div>`;
}
