import { useState } from 'preact/hooks';
import { html } from './html.js';
import { percent } from './format.js';

const TONE = {
  running: 'blue', 'in-progress': 'blue', active: 'green', dialing: 'blue', ringing: 'blue', connecting: 'blue', queued: 'gray',
  scheduled: 'gray', pending: 'gray', paused: 'amber', ending: 'amber', transferring: 'amber',
  completed: 'green', ended: 'gray', cancelled: 'gray', voicemail: 'purple',
  'no-answer': 'amber', busy: 'amber', failed: 'red', invalid: 'red', 'skipped-dnc': 'gray',
};

export function Badge({ status }) {
  return html`<span class="badge badge-${TONE[status] ?? 'gray'}">${status}</span>`;
}

export function Progress({ ratio, label, large }) {
  const pct = Math.round((ratio ?? 0) * 100);
  return html`<div class="progress ${large ? 'progress-lg' : ''}" role="progressbar" aria-label=${label} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}>
    <div class="progress-fill" style=${{ width: `${pct}%` }}></div>
    ${large ? html`<span class="progress-text">${percent(ratio)}</span>` : null}
  </div>`;
}

export function PageHeader({ title, subtitle, children }) {
  return html`<header class="page-header">
    <div><h1 id="page-title">${title}</h1>${subtitle ? html`<p class="muted">${subtitle}</p>` : null}</div>
    <div class="page-actions">${children}</div>
  </header>`;
}

export function Notice({ error, onClose }) {
  if (!error) return null;
  return html`<div class="notice notice-error" role="alert">
    <span>${error}</span>
    ${onClose ? html`<button type="button" class="btn-link" onClick=${onClose}>Dismiss</button>` : null}
  </div>`;
}

export function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}

/** A button that runs an async action, shows it is busy and reports a failure. */
export function ActionButton({ action, children, kind = 'secondary', confirm, label, disabled, onError }) {
  const [busy, setBusy] = useState(false);
  const run = async () => {
    if (confirm && !window.confirm(confirm)) return;
    setBusy(true);
    try {
      await action();
    } catch (err) {
      onError?.(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class="btn btn-${kind}" onClick=${run} disabled=${busy || disabled} aria-label=${label}>${busy ? 'Working…' : children}</button>`;
}

export function Stat({ label, value, tone }) {
  return html`<div class="stat ${tone ? `stat-${tone}` : ''}"><div class="stat-value">${value}</div><div class="stat-label">${label}</div></div>`;
}

export function Transcript({ entries }) {
  if (!entries || entries.length === 0) return html`<${Empty}>No words yet.</${Empty}>`;
  return html`<ol class="transcript" aria-label="Transcript">
    ${entries.map((e) => {
      const ms = e.atMs ?? e.at;
      const t = typeof ms === 'number' && ms < 86_400_000 ? `${Math.floor(ms / 60000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}` : '';
      return html`<li class="turn turn-${e.role}">
        <div class="turn-meta"><span class="turn-role">${e.role === 'agent' ? 'Agent' : e.role === 'user' ? 'Caller' : e.role}</span>${t ? html`<span class="muted">${t}</span>` : null}${e.interrupted ? html`<span class="muted">· interrupted</span>` : null}</div>
        <div class="turn-text">${e.text}</div>
      </li>`;
    })}
  </ol>`;
}
