import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ReconcileReport } from '../../../src/campaigns/reconciler.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/engine-child.ts', import.meta.url));

export interface EngineChild {
  process: ChildProcess;
  startup: ReconcileReport;
  stderr(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the engine fixture with `node --import tsx`; resolves once it printed its ready line. */
export async function startEngineChild(env: Record<string, string>): Promise<EngineChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const startup = await new Promise<ReconcileReport>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { startup: ReconcileReport }).startup);
    });
    child.once('exit', (code) => reject(new Error(`engine child exited (${code}) before ready: ${err}`)));
  });
  const killWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { process: child, startup, stderr: () => err, kill9: () => killWith('SIGKILL'), stop: () => killWith('SIGTERM') };
}

/** A TCP port free right now (for a receiver that must come back on the same port after a restart). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
