import type { Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { farEndsByNumber } from '../../tools/twilio-standin/far-end.js';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { ariaControls, chromiumMissing, openBrowser, SHOTS, unnamedControls, type Browser } from './browser.js';

const skip = chromiumMissing();
const FIRST_WORDS = 'Hello, this is the test agent.';
const REPLY = 'Your order arrives tomorrow.';

let h: Harness;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

const api = async (path: string, init: RequestInit = {}): Promise<any> => {
  const res = await fetch(h.bridgeUrl + path, { ...init, headers: { authorization: `Bearer ${API_TOKEN}`, ...(init.headers ?? {}) } });
  return res.status === 204 ? {} : res.json();
};
const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

/** The page's controls all have accessible names (Chromium's tree over CDP, and playwright's ARIA snapshot). */
async function expectNamedControls(): Promise<void> {
  expect(await unnamedControls(page)).toEqual([]);
  const controls = await ariaControls(page);
  expect(controls.length).toBeGreaterThan(0);
  for (const c of controls) expect(c).toMatch(/^\w+ "[^"]+"/);
}

describe.skipIf(skip)('operator dashboard in Chromium', () => {
  beforeAll(async () => {
    h = await startHarness(
      // The agent greets, answers after 1 s of caller audio, then ends the call itself: each call's
      // transcript is complete however slow the machine is.
      { mode: 'scripted', firstMessage: { text: FIRST_WORDS }, replies: [{ afterUserAudioMs: 1000, userTranscript: 'I would like to check my order.', text: REPLY, endCall: { closeAfterMs: 200 } }] },
      { CALLS_PER_SECOND: '10' },
      // Everyone answers after 200 ms, except one busy line.
      { farEnds: farEndsByNumber({ '+14155550103': { kind: 'busy' } }, { kind: 'human', ringMs: 200, hangupAfterMs: 120_000 }) },
      {},
      // The live call's agent greets and then only listens: the call lasts until someone hangs up.
      [{ agentId: 'agent_listener', requireAuth: true, mode: 'scripted', firstMessage: { text: FIRST_WORDS }, replies: [] }],
    );
    browser = await openBrowser();
    page = browser.page;
    // Waits are for events (the event stream, calls ending); the bound is for a busy 2-core machine.
    page.setDefaultTimeout(60_000);
    page.on('dialog', (d: Dialog) => {
      dialogs.push(d.message());
      void d.accept();
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('asks for the API token before showing anything', { timeout: 120_000 }, async () => {
    const res = await page.goto(`${h.bridgeUrl}/ui/`);
    expect(page.url()).toBe(`${h.bridgeUrl}/ui/login`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    // The app's code and the API are closed without a session.
    expect((await fetch(`${h.bridgeUrl}/ui/app/main.js`)).status).toBe(401);
    expect((await fetch(`${h.bridgeUrl}/events`)).status).toBe(401);
    await expectNamedControls();
    await page.getByLabel('API token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await shot('login');
    await page.getByLabel('API token').fill(API_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'vb_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    await expectNamedControls();
  });

  it('previews a list with a bad row before dialling, then follows the campaign to the end', async () => {
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Name', { exact: true }).fill('July reminders');
    await page.getByLabel('Agent id').fill('agent_test');
    const csv = 'phone_number,first_name\n+14155550101,Ada\n+14155550102,Grace\n+14155550103,Alan\nnot-a-number,Bad\n+14155550104,Edsger\n';
    await page.getByLabel('Recipient list (CSV or XLSX)').setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Check list' }).click();
    const invalid = page.getByRole('table', { name: 'Invalid rows' });
    await invalid.waitFor();
    // Header = row 1, so the fifth line is row 5.
    expect(await invalid.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^5\s+invalid_phone\s+.*not-a-number/)]);
    await page.getByRole('button', { name: 'Start campaign (4 numbers)' }).waitFor();
    await expectNamedControls();
    await shot('campaign-preview');
    // Nothing was stored or dialled by the preview.
    expect((await api('/campaigns')).campaigns).toEqual([]);
    expect(h.twilio.createdCount()).toBe(0);

    await page.getByRole('button', { name: 'Start campaign (4 numbers)' }).click();
    await page.getByRole('heading', { name: 'July reminders' }).waitFor();
    // Progress arrives over the event stream until every recipient is done.
    await page.getByRole('progressbar', { name: 'Campaign progress' }).and(page.locator('[aria-valuenow="100"]')).waitFor({ timeout: 120_000 });
    await page.locator('header .badge', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
    const rows = page.getByRole('table', { name: 'Recipients' }).locator('tbody tr');
    await expect.poll(async () => (await rows.allInnerTexts()).filter((t) => /completed|busy/.test(t)).length, { timeout: 15_000 }).toBe(4);
    expect((await rows.allInnerTexts()).join('\n')).toMatch(/\+14155550103\s+busy/);
    expect(h.twilio.createdCount()).toBe(4);
    await expectNamedControls();
    await shot('campaign-progress');
  }, 180_000);

  it("opens a recipient's call and reads its transcript", async () => {
    await page.getByRole('link', { name: 'Call to +14155550101' }).click();
    await page.getByRole('list', { name: 'Transcript' }).getByText(FIRST_WORDS).waitFor();
    await page.getByText(REPLY).waitFor();
    await page.getByText('I would like to check my order.').waitFor();
    await expectNamedControls();
    await shot('call-transcript');
    await page.getByRole('link', { name: 'Call history' }).click();
    await page.getByRole('table', { name: 'Call history' }).waitFor();
    // Every dialled recipient has a record: three conversations and the busy line.
    expect(await page.getByRole('table', { name: 'Call history' }).locator('tbody tr').count()).toBe(4);
    await expectNamedControls();
    await shot('call-history');
  }, 120_000);

  it('shows a live call with its transcript as it is spoken, sends the agent a note, and hangs it up', async () => {
    await page.getByRole('link', { name: /^Live calls/ }).click();
    await page.getByText('No call in progress.').waitFor();
    const call = await h.twilio.placeInboundCall({
      bridgeUrl: h.bridgeUrl, from: '+14155550900', to: '+14155550999', hangupAfterMs: 300_000, voicePath: '/twilio/voice?agent_id=agent_listener',
    });
    // The row appears by itself (event stream), no reload.
    const open = page.getByRole('link', { name: 'Open call from +14155550900 to +14155550999' });
    await open.waitFor();
    await expectNamedControls();
    await shot('live-calls');
    await open.click();
    // The greeting arrives over the event stream while the page is open.
    await page.getByRole('list', { name: 'Transcript' }).getByText(FIRST_WORDS).waitFor();
    await page.getByRole('button', { name: 'Hang up' }).waitFor();
    await expectNamedControls();
    // A note to the agent, delivered as a contextual update into its conversation.
    await page.getByLabel('Text').fill('The caller is a premium customer.');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.getByRole('status').filter({ hasText: 'Sent: “The caller is a premium customer.”' }).waitFor();
    await expect.poll(() => h.agent.conversations.at(-1)!.contextualUpdates, { timeout: 10_000 }).toContain('The caller is a premium customer.');
    await shot('live-call');
    await page.getByRole('button', { name: 'Hang up' }).click();
    const ended = await call.ended;
    expect(dialogs).toContain('Hang up this call?');
    expect(ended.how).not.toBe('timeout');
    await page.locator('header .badge', { hasText: 'ended' }).waitFor({ timeout: 15_000 });
    expect(h.bridge.registry.size).toBe(0);
  }, 120_000);

  it('adds and removes a number on the do-not-call list', { timeout: 120_000 }, async () => {
    await page.getByRole('link', { name: 'Do-not-call list' }).click();
    await page.getByLabel('Phone number').fill('+14155550177');
    await page.getByLabel('Reason (optional)').fill('asked on the phone');
    await page.getByRole('button', { name: 'Add number' }).click();
    await page.getByRole('button', { name: 'Remove +14155550177' }).waitFor();
    expect((await api('/dnc')).entries).toEqual([expect.objectContaining({ phoneNumber: '+14155550177', reason: 'asked on the phone' })]);
    await expectNamedControls();
    await shot('do-not-call');
    await page.getByRole('button', { name: 'Remove +14155550177' }).click();
    await page.getByText('The list is empty.').waitFor();
    expect((await api('/dnc')).entries).toEqual([]);
  });

  it('signs out: the session no longer opens the API', { timeout: 120_000 }, async () => {
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'vb_session')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${h.bridgeUrl}/ui/login`);
    const res = await fetch(`${h.bridgeUrl}/campaigns`, { headers: { cookie: `vb_session=${cookie.value}` } });
    expect(res.status).toBe(401);
  });
});
