import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/bridge-harness.js';
import { missingToolsReason } from '../support/tools.js';
import { readmeCommands, run, type Run } from './commands.js';

/**
 * The README's offline demo, command by command, as a new user runs it: the
 * same npm scripts with the same arguments. Only the ports differ (this machine
 * runs other bridges), so `127.0.0.1:8080` becomes the test's port and the demo
 * gets --port flags; the campaign CLI finds the bridge through CAMPAIGN_API_URL.
 */
const DEFAULT_URL = 'http://127.0.0.1:8080';
const skip = missingToolsReason(['espeak-ng']);

let demo: Run;
let url: string;
let ports: number[];
const commands = readmeCommands('Offline demo (no accounts)');
const command = (script: string): string => {
  const c = commands.find((cmd) => cmd.includes(`npm run ${script}`));
  if (!c) throw new Error(`README's offline demo has no "npm run ${script}" command`);
  return c;
};
/** The README's command, pointed at this test's ports. */
const adapt = (c: string): string => {
  let out = c.replaceAll(DEFAULT_URL, url);
  if (/npm run demo:(transfer|broadcast)$/.test(out)) out += ` -- --url ${url}`;
  if (/npm run demo$/.test(out)) out += ` -- --port ${ports[0]} --agent-port ${ports[1]} --twilio-port ${ports[2]}`;
  return out;
};
const runToEnd = async (c: string, ms: number): Promise<{ code: number | null; out: string }> => {
  const r = run(adapt(c), { CAMPAIGN_API_URL: url });
  const timer = setTimeout(() => void r.stop(), ms);
  const code = await r.exited;
  clearTimeout(timer);
  return { code, out: r.output() };
};

describe.skipIf(skip)('README: offline demo', () => {
  beforeAll(async () => {
    ports = [await freePort(), await freePort(), await freePort()];
    url = `http://127.0.0.1:${ports[0]}`;
    demo = run(adapt(command('demo')));
    await demo.waitFor(/In another terminal:[\s\S]*broadcast/, 60_000);
  }, 70_000);
  afterAll(async () => {
    await demo?.stop();
  });

  it("prints the README's next commands", () => {
    // What `npm run demo` prints is what the README says to run, once this run's port is put back to 8080.
    const asReadme = (line: string) =>
      line.replaceAll(` -- --url ${url}`, '').replaceAll(` --url ${url}`, '').replaceAll(url, DEFAULT_URL).replace(/^\s*[a-z]+( call)?\s{2,}/, '').trim();
    for (const script of ['simulate', 'campaign', 'demo:transfer', 'demo:broadcast']) {
      const printed = demo.output().split('\n').find((l) => l.includes(`npm run ${script}`));
      expect(printed && asReadme(printed)).toBe(command(script));
    }
  });

  it('an inbound call talks to the agent', async () => {
    const { code, out } = await runToEnd(command('simulate'), 60_000);
    expect(code, out).toBe(0);
    expect(out).toMatch(/closed by bridge \(code 1000, "agent-ended"\)/);
    const heard = Number(/heard ([\d.]+) s of bridge audio/.exec(out)?.[1]);
    expect(heard).toBeGreaterThan(0.5);
  }, 70_000);

  it('an outbound campaign reports the bad row, then its progress to the end', async () => {
    const { code, out } = await runToEnd(command('campaign'), 120_000);
    expect(code, out).toBe(0);
    expect(out).toMatch(/8 recipients accepted from csv, 1 rejected/);
    expect(out).toMatch(/row 10: invalid_phone/);
    expect(out).toMatch(/100% 8\/8 done/);
    expect(out).toMatch(/completed, 8\/8 done; completed=6 no-answer=1 busy=1/);
  }, 130_000);

  it('a call is transferred to the simulated operator, who accepts', async () => {
    const { code, out } = await runToEnd(command('demo:transfer'), 90_000);
    expect(code, out).toBe(0);
    expect(out).toMatch(/transfer outcome: connected/);
  }, 100_000);

  it('a broadcast is heard and a DTMF 9 opts the number out', async () => {
    const { code, out } = await runToEnd(command('demo:broadcast'), 150_000);
    expect(code, out).toBe(0);
    expect(out).toMatch(/completed: 3\/3 done/);
    expect(out).toMatch(/\+14155550202 pressed 9 and is now on the do-not-call list/);
  }, 160_000);

  it('the dashboard shows them: sign in with the printed token, then the same API', async () => {
    const token = /sign in with: (\S+)/.exec(demo.output())![1]!;
    const login = await fetch(`${url}/ui/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const campaigns = (await (await fetch(`${url}/campaigns`, { headers: { cookie } })).json()) as { campaigns: { name: string; status: string }[] };
    expect(campaigns.campaigns.map((c) => `${c.name}:${c.status}`).sort()).toEqual(['Demo broadcast:completed', 'Demo campaign:completed']);
    const history = (await (await fetch(`${url}/calls?state=ended&limit=100`, { headers: { cookie } })).json()) as { calls: { direction: string }[] };
    // 1 inbound + 8 campaign + 1 transferred + 3 broadcast calls.
    expect(history.calls.length).toBeGreaterThanOrEqual(12);
    expect(history.calls.some((c) => c.direction === 'inbound')).toBe(true);
  });
});
