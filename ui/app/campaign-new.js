import { useState } from 'preact/hooks';
import { api } from './api.js';
import { Notice, PageHeader } from './components.js';
import { html } from './html.js';

const FIELDS = ['name', 'type', 'agent_id', 'window', 'timezone', 'days', 'max_attempts', 'retry_delay_seconds', 'default_region'];

function Field({ id, label, hint, children }) {
  return html`<div class="field"><label for=${id}>${label}</label>${children}${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}</div>`;
}

/** The multipart form POST /campaigns (and /campaigns/validate) take. */
function formData(values, file) {
  const fd = new FormData();
  for (const f of FIELDS) if (values[f] !== undefined && String(values[f]).trim() !== '') fd.set(f, String(values[f]).trim());
  if (values.type === 'broadcast') {
    const broadcast = { message: values.message ?? '' };
    if (values.optOutKey) broadcast.menu = { keys: { [values.optOutKey]: { action: 'opt-out' } } };
    fd.set('broadcast', JSON.stringify(broadcast));
  }
  fd.set('file', file, file.name);
  return fd;
}

/**
 * Create a campaign from a CSV/XLSX list: first a validation preview (rows
 * rejected with their row number and reason, duplicates, do-not-call numbers),
 * and only then, on request, the campaign itself.
 */
export function NewCampaignPage() {
  const [values, setValues] = useState({ type: 'agent', max_attempts: '1', optOutKey: '9' });
  const [file, setFile] = useState(null);
  const [preview, setPreview] = useState(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => {
    setValues({ ...values, [k]: e.currentTarget.value });
    setPreview(null);
  };
  const check = async (e) => {
    e.preventDefault();
    if (!file) return setError('Choose a CSV or XLSX file first.');
    setBusy(true);
    setError('');
    try {
      setPreview(await api('POST', '/campaigns/validate', formData(values, file)));
    } catch (err) {
      setPreview(err.details?.rowErrors ? { valid: false, import: { accepted: 0, rejected: err.details.rowErrors.length, errors: err.details.rowErrors, duplicates: err.details.duplicates ?? [], doNotCall: [] } } : null);
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  const start = async () => {
    setBusy(true);
    try {
      const r = await api('POST', '/campaigns', formData(values, file));
      location.hash = `#/campaigns/${r.campaign.id}`;
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<section aria-labelledby="page-title">
    <${PageHeader} title="New campaign" subtitle="Upload a list, check it, then start dialling." />
    <${Notice} error=${error} onClose=${() => setError('')} />
    <form class="card form-grid" onSubmit=${check} aria-label="Campaign settings">
      <${Field} id="c-name" label="Name"><input id="c-name" required value=${values.name ?? ''} onInput=${set('name')} /></${Field}>
      <${Field} id="c-type" label="Type">
        <select id="c-type" value=${values.type} onChange=${set('type')}>
          <option value="agent">Agent conversation</option>
          <option value="broadcast">Broadcast message</option>
        </select>
      </${Field}>
      <${Field} id="c-agent" label=${values.type === 'broadcast' ? 'Agent id (optional)' : 'Agent id'}>
        <input id="c-agent" required=${values.type !== 'broadcast'} value=${values.agent_id ?? ''} onInput=${set('agent_id')} />
      </${Field}>
      ${values.type === 'broadcast' ? html`
        <${Field} id="c-message" label="Message" hint="Use {{column}} for a value from the list, e.g. Hello {{name}}.">
          <textarea id="c-message" rows="3" required aria-describedby="c-message-hint" value=${values.message ?? ''} onInput=${set('message')}></textarea>
        </${Field}>
        <${Field} id="c-optout" label="Opt-out key" hint="The callee presses it to join the do-not-call list; empty for none.">
          <input id="c-optout" maxlength="1" aria-describedby="c-optout-hint" value=${values.optOutKey ?? ''} onInput=${set('optOutKey')} />
        </${Field}>` : null}
      <${Field} id="c-file" label="Recipient list (CSV or XLSX)" hint="A phone_number column; other columns become variables.">
        <input id="c-file" type="file" required accept=".csv,.xlsx,.json,text/csv" aria-describedby="c-file-hint" onChange=${(e) => { setFile(e.currentTarget.files[0] ?? null); setPreview(null); }} />
      </${Field}>
      <${Field} id="c-window" label="Calling window" hint="HH:MM-HH:MM in the recipient's time; empty for any time.">
        <input id="c-window" placeholder="09:00-18:00" aria-describedby="c-window-hint" value=${values.window ?? ''} onInput=${set('window')} />
      </${Field}>
      <${Field} id="c-tz" label="Time zone"><input id="c-tz" placeholder="America/New_York" value=${values.timezone ?? ''} onInput=${set('timezone')} /></${Field}>
      <${Field} id="c-days" label="Days"><input id="c-days" placeholder="mon-fri" value=${values.days ?? ''} onInput=${set('days')} /></${Field}>
      <${Field} id="c-attempts" label="Attempts per number"><input id="c-attempts" type="number" min="1" max="10" value=${values.max_attempts} onInput=${set('max_attempts')} /></${Field}>
      <${Field} id="c-delay" label="Retry delay (seconds)"><input id="c-delay" type="number" min="0" value=${values.retry_delay_seconds ?? ''} onInput=${set('retry_delay_seconds')} /></${Field}>
      <${Field} id="c-region" label="Default country" hint="For numbers written without +country code, e.g. US.">
        <input id="c-region" maxlength="2" aria-describedby="c-region-hint" value=${values.default_region ?? ''} onInput=${set('default_region')} />
      </${Field}>
      <div class="form-actions"><button type="submit" class="btn btn-secondary" disabled=${busy}>Check list</button></div>
    </form>
    ${preview ? html`<${Preview} preview=${preview} busy=${busy} onStart=${start} />` : null}
  </section>`;
}

function Preview({ preview, busy, onStart }) {
  const p = preview.import;
  return html`<section class="card preview" aria-labelledby="preview-title">
    <h2 id="preview-title">Validation preview</h2>
    <div class="stats">
      <div class="stat stat-green"><div class="stat-value">${p.accepted}</div><div class="stat-label">to call</div></div>
      <div class="stat stat-red"><div class="stat-value">${p.rejected}</div><div class="stat-label">invalid rows</div></div>
      <div class="stat"><div class="stat-value">${p.duplicates.length}</div><div class="stat-label">duplicates</div></div>
      <div class="stat"><div class="stat-value">${p.doNotCall?.length ?? 0}</div><div class="stat-label">on do-not-call list</div></div>
    </div>
    ${p.errors.length ? html`<h3>Invalid rows (not called)</h3>
      <table class="table table-compact" aria-label="Invalid rows">
        <thead><tr><th scope="col" class="num">Row</th><th scope="col">Problem</th><th scope="col">Reason</th></tr></thead>
        <tbody>${p.errors.map((e) => html`<tr><td class="num">${e.rowNumber}</td><td><code>${e.code}</code></td><td>${e.reason}</td></tr>`)}</tbody>
      </table>` : html`<p class="ok">Every row is valid.</p>`}
    ${p.duplicates.length ? html`<h3>Duplicates (called once)</h3><ul class="plain">${p.duplicates.map((d) => html`<li>Row ${d.rowNumber}: ${d.phoneNumber} (same as row ${d.firstRowNumber})</li>`)}</ul>` : null}
    ${p.doNotCall?.length ? html`<h3>On the do-not-call list (skipped)</h3><ul class="plain">${p.doNotCall.map((d) => html`<li>Row ${d.rowNumber}: ${d.phoneNumber}</li>`)}</ul>` : null}
    <div class="form-actions">
      <button type="button" class="btn btn-primary" onClick=${onStart} disabled=${busy || !preview.valid}>Start campaign (${p.accepted} ${p.accepted === 1 ? 'number' : 'numbers'})</button>
    </div>
  </section>`;
}
