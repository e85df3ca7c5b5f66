import { describe, expect, it } from 'vitest';
import { DrachtioConnection } from '../../sip/signaling/drachtio-connection.js';
import { drachtioUnavailableReason, startBinary } from './drachtio-harness.js';
import { waitFor } from '../support/wait.js';

/** Readiness follows the real connection: lost when drachtio-server dies, back after it restarts (drachtio-srf back-off). */
const bin = process.env.DRACHTIO_BIN;
const unavailable = drachtioUnavailableReason() ?? (bin ? undefined : 'skipped: needs DRACHTIO_BIN (restarts the server)');

describe.skipIf(!!unavailable)(`drachtio connection${unavailable ? ` (${unavailable})` : ''}`, () => {
  it('is ready when connected, not ready when the server goes away, ready again after it restarts', async () => {
    const first = await startBinary(bin!);
    const conn = new DrachtioConnection({ host: '127.0.0.1', port: first.adminPort, secret: first.secret, retryMaxDelayMs: 300 });
    const events: string[] = [];
    conn.on('ready', () => events.push('ready'));
    conn.on('lost', () => events.push('lost'));
    conn.on('error', () => undefined);
    conn.start();
    await conn.whenReady(5000);
    expect(conn.ready).toBe(true);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await until(() => !conn.ready);
    const second = await startBinary(bin!, { adminPort: first.adminPort, sipPort: first.sipPort });
    try {
      await conn.whenReady(5000);
      expect(events).toEqual(['ready', 'lost', 'ready']);
    } finally {
      conn.stop();
      second.child.kill('SIGTERM');
    }
  }, 20_000);

  it('a wrong secret never becomes ready', async () => {
    const server = await startBinary(bin!);
    const conn = new DrachtioConnection({ host: '127.0.0.1', port: server.adminPort, secret: 'wrong', retryMaxDelayMs: 300 });
    const errors: string[] = [];
    conn.on('error', (e) => errors.push(e.message));
    conn.start();
    try {
      await expect(conn.whenReady(1500)).rejects.toThrow(/not reachable/);
      expect(conn.ready).toBe(false);
      // (an ECONNREFUSED may come first while the server is still starting)
      expect(errors.some((e) => /failed to authenticate/.test(e)), errors.join('; ')).toBe(true);
    } finally {
      conn.stop();
      server.child.kill('SIGTERM');
    }
  }, 20_000);
});

async function until(cond: () => boolean): Promise<void> {
  await waitFor(cond, { timeoutMs: 15_000 });
}
