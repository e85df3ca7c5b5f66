import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { Badge, Empty, Notice, PageHeader, Progress } from './components.js';
import { dateTime } from './format.js';
import { html } from './html.js';
import { useEvent } from './live.js';

/** All campaigns with live progress (GET /campaigns, then `campaign` events). */
export function CampaignsPage() {
  const [campaigns, setCampaigns] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get('/campaigns').then((r) => setCampaigns(r.campaigns), (e) => setError(e.message));
  }, []);
  useEvent('campaign', (c) => setCampaigns((list) => {
    if (!list) return list;
    const i = list.findIndex((x) => x.id === c.id);
    return i === -1 ? [c, ...list] : list.map((x) => (x.id === c.id ? c : x));
  }));
  const sorted = campaigns && [...campaigns].sort((a, b) => b.createdAt - a.createdAt);
  return html`<section aria-labelledby="page-title">
    <${PageHeader} title="Campaigns" subtitle="Outbound calling and broadcasts, with live progress.">
      <a class="btn btn-primary" href="#/campaigns/new">New campaign</a>
    </${PageHeader}>
    <${Notice} error=${error} />
    ${!sorted ? html`<p class="muted">Loading…</p>` : sorted.length === 0
      ? html`<${Empty}>No campaigns yet. <a href="#/campaigns/new">Create one from a CSV or XLSX list.</a></${Empty}>`
      : html`<div class="card"><table class="table">
        <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col" class="col-progress">Progress</th><th scope="col" class="num">Done</th><th scope="col" class="num">Active</th><th scope="col">Created</th></tr></thead>
        <tbody>${sorted.map((c) => html`<tr key=${c.id}>
          <td><a href=${`#/campaigns/${c.id}`}>${c.name}</a></td>
          <td>${c.type ?? 'agent'}</td>
          <td><${Badge} status=${c.status} /></td>
          <td><${Progress} ratio=${c.progress.ratio} label=${`Progress of ${c.name}`} /></td>
          <td class="num">${c.progress.done} / ${c.progress.total}</td>
          <td class="num">${c.progress.active}</td>
          <td>${dateTime(c.createdAt)}</td>
        </tr>`)}</tbody>
      </table></div>`}
  </section>`;
}
