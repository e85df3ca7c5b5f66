/**
 * SIGKILL of the bridge with undelivered post-call events, then a restart:
 * every event is delivered, once (by idempotency key). The bridge runs as a
 * child process (as in test/campaigns), the receiver on a fixed port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../campaigns/support/child.js';
import { startReceiver, type Receiver } from './receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/bridge-child.ts', import.meta.url));
const SECRET = 'whsec_sigkill_test';

async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; kill9(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"ready":true')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`bridge child exited (${code}) before ready: ${err}`)));
  });
  return {
    child,
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('post-call webhooks survive SIGKILL', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    cleanup.length = 0;
  });

  it('killed with undelivered events, restarted: all delivered once', { timeout: 90_000 }, async () => {
    const N = 6;
    let down = true;
    const receiver: Receiver = await startReceiver({ secret: SECRET, answer: () => (down ? 503 : undefined), port: await freePort() });
    cleanup.push(() => receiver.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'webhook-kill-'));
    const env = {
      PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: dataDir, INSTANCE_ID: 'bridge-k',
      POST_CALL_WEBHOOK_URL: receiver.url, POST_CALL_WEBHOOK_SECRET: SECRET, ELEVENLABS_AGENT_ID: 'agent_x',
    };
    const first = await startChild({ ...env, CHILD_END_CALLS: String(N) });
    cleanup.push(first.kill9);
    // Every event tried (and refused) at least once, then the process dies.
    await receiver.waitFor((r) => new Set(r.requests.map((q) => q.idempotencyKey)).size === N, 30_000);
    await first.kill9();
    expect(receiver.accepted()).toHaveLength(0);
    const triedBeforeKill = receiver.requests.length;
    down = false;
    const t0 = Date.now();
    const second = await startChild(env);
    cleanup.push(second.kill9);
    await receiver.waitFor((r) => r.accepted().length === N, 30_000);
    const afterRestartMs = Date.now() - t0;
    // A negative check, so a wait: nothing more arrives within 10 of the child's 50 ms delivery polls
    // (fixtures/bridge-child.ts); the child runs on, a duplicate would come from one of them.
    await new Promise((r) => setTimeout(r, 10 * 50));
    const keys = receiver.accepted().map((q) => q.idempotencyKey);
    expect(new Set(keys).size).toBe(N);
    expect(receiver.accepted()).toHaveLength(N);
    expect(receiver.rejectedSignatures).toEqual([]);
    expect(receiver.accepted().map((q) => q.event.data.bridge.call_id).sort()).toEqual(Array.from({ length: N }, (_, i) => `kill-${i}`));
    console.info(`SIGKILL: ${triedBeforeKill} refused attempts before the kill; all ${N} delivered ${afterRestartMs} ms after restart began`);
  });
});
