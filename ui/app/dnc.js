import { useEffect, useState } from 'preact/hooks';
import { del, get, post } from './api.js';
import { ActionButton, Empty, Notice, PageHeader } from './components.js';
import { dateTime } from './format.js';
import { html } from './html.js';

/** The do-not-call list: GET/POST /dnc, DELETE /dnc/{phone}. */
export function DncPage() {
  const [entries, setEntries] = useState(null);
  const [phone, setPhone] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const load = () => get('/dnc?limit=1000').then((r) => setEntries(r.entries), (e) => setError(e.message));
  useEffect(() => { load(); }, []);
  const add = async (e) => {
    e.preventDefault();
    setError('');
    try {
      const r = await post('/dnc', { phone_number: phone, ...(reason ? { reason } : {}) });
      setStatus(`${r.phoneNumbers[0]} added.`);
      setPhone('');
      setReason('');
      await load();
    } catch (err) {
      setError(err.message);
    }
  };
  const remove = (number) => async () => {
    await del(`/dnc/${encodeURIComponent(number)}`);
    setStatus(`${number} removed.`);
    await load();
  };
  return html`<section aria-labelledby="page-title">
    <${PageHeader} title="Do-not-call list" subtitle="Numbers here are never dialled by campaigns; a broadcast opt-out key adds to it." />
    <${Notice} error=${error} onClose=${() => setError('')} />
    <form class="card inline-form" onSubmit=${add} aria-label="Add a number">
      <div class="field"><label for="dnc-phone">Phone number</label><input id="dnc-phone" required placeholder="+14155550123" value=${phone} onInput=${(e) => setPhone(e.currentTarget.value)} /></div>
      <div class="field"><label for="dnc-reason">Reason (optional)</label><input id="dnc-reason" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} /></div>
      <button type="submit" class="btn btn-primary">Add number</button>
    </form>
    ${status ? html`<p class="ok" role="status">${status}</p>` : null}
    ${!entries ? html`<p class="muted">Loading…</p>` : entries.length === 0 ? html`<${Empty}>The list is empty.</${Empty}>` : html`<div class="card"><table class="table" aria-label="Do-not-call numbers">
      <thead><tr><th scope="col">Number</th><th scope="col">Reason</th><th scope="col">Added</th><th scope="col"><span class="sr-only">Remove</span></th></tr></thead>
      <tbody>${entries.map((d) => html`<tr key=${d.phoneNumber}>
        <td class="mono">${d.phoneNumber}</td><td>${d.reason ?? '—'}</td><td>${dateTime(d.createdAt)}</td>
        <td class="num"><${ActionButton} kind="link" label=${`Remove ${d.phoneNumber}`} action=${remove(d.phoneNumber)} onError=${setError}>Remove</${ActionButton}></td>
      </tr>`)}</tbody>
    </table></div>`}
  </section>`;
}
