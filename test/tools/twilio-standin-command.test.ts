import { afterEach, describe, expect, it } from 'vitest';
import { run, type Run } from '../demo/commands.js';

let standin: Run | undefined;
afterEach(async () => standin?.stop());

describe('npm run twilio:standin', () => {
  it('runs the stand-in as a command and serves the REST Calls API with the printed credentials', async () => {
    standin = run('npm run twilio:standin -- --port 0');
    const out = await standin.waitFor(/TWILIO_FROM_NUMBER/, 30_000);
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    const sid = /TWILIO_ACCOUNT_SID=(\S+)/.exec(out)![1]!;
    const token = /TWILIO_AUTH_TOKEN=(\S+)/.exec(out)![1]!;
    const auth = `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`;
    const list = await fetch(`${url}/2010-04-01/Accounts/${sid}/Calls.json`, { headers: { authorization: auth } });
    expect(list.status).toBe(200);
    expect((await fetch(`${url}/2010-04-01/Accounts/${sid}/Calls.json`, { headers: { authorization: 'Basic eDp5' } })).status).toBe(401);
  });

  it('explains a bad far-ends file', async () => {
    standin = run('npm run twilio:standin -- --far-ends /nonexistent.json');
    expect(await standin.exited).toBe(2);
    expect(standin.output()).toMatch(/--far-ends \/nonexistent.json: ENOENT/);
  });
});
