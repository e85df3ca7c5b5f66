import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { CampaignPage } from './campaign-detail.js';
import { NewCampaignPage } from './campaign-new.js';
import { CampaignsPage } from './campaigns.js';
import { CallPage, LiveCallsPage } from './calls.js';
import { DncPage } from './dnc.js';
import { HistoryPage } from './history.js';
import { html } from './html.js';
import { connect, disconnect, liveCalls, useConnection, useEvents } from './live.js';

/** Hash routes: the server serves one page; #/… picks the view. */
function route(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [section = 'campaigns', id] = parts;
  if (section === 'campaigns' && id === 'new') return { nav: 'campaigns', view: html`<${NewCampaignPage} />` };
  if (section === 'campaigns' && id) return { nav: 'campaigns', view: html`<${CampaignPage} id=${id} key=${id} />` };
  if (section === 'calls' && id) return { nav: 'calls', view: html`<${CallPage} id=${id} key=${id} />` };
  if (section === 'calls') return { nav: 'calls', view: html`<${LiveCallsPage} />` };
  if (section === 'history') return { nav: 'history', view: html`<${HistoryPage} />` };
  if (section === 'dnc') return { nav: 'dnc', view: html`<${DncPage} />` };
  return { nav: 'campaigns', view: html`<${CampaignsPage} />` };
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

const CONNECTION_TEXT = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Offline' };

function App() {
  const hash = useHash();
  const connection = useConnection();
  useEvents(['calls', 'call', 'call-ended']);
  const { nav, view } = route(hash);
  const signOut = async () => {
    disconnect();
    await api('POST', '/ui/logout').catch(() => undefined);
    location.assign('/ui/login');
  };
  const link = (key, href, text, extra) => html`<a href=${href} class=${nav === key ? 'active' : ''} aria-current=${nav === key ? 'page' : undefined}>${text}${extra}</a>`;
  return html`<div class="layout">
    <aside class="sidebar">
      <div class="brand"><span class="brand-mark" aria-hidden="true">◉</span> voice-bridge</div>
      <nav aria-label="Main">
        ${link('campaigns', '#/campaigns', 'Campaigns')}
        ${link('calls', '#/calls', 'Live calls', liveCalls.size ? html` <span class="count" aria-label=${`${liveCalls.size} live`}>${liveCalls.size}</span>` : null)}
        ${link('history', '#/history', 'Call history')}
        ${link('dnc', '#/dnc', 'Do-not-call list')}
      </nav>
      <div class="sidebar-foot">
        <span class=${`conn conn-${connection}`} role="status" aria-live="polite"><span class="conn-dot" aria-hidden="true"></span>${CONNECTION_TEXT[connection]}</span>
        <button type="button" class="btn btn-ghost" onClick=${signOut}>Sign out</button>
      </div>
    </aside>
    <main class="content">${view}</main>
  </div>`;
}

connect();
render(html`<${App} />`, document.getElementById('root'));
