import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RecordReconcileReport } from '../../../src/calls/record-reconciler.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/bridge-child.ts', import.meta.url));

export interface BridgeChild {
  process: ChildProcess;
  records: RecordReconcileReport | undefined;
  stderr(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a bridge with `node --import tsx`; resolves once it printed its ready line. */
export async function startBridgeChild(bridgeEnv: Record<string, string>, pgSchema?: string): Promise<BridgeChild> {
  const env = { ...process.env, BRIDGE_CHILD_ENV: JSON.stringify(bridgeEnv), ...(pgSchema ? { BRIDGE_CHILD_PG_SCHEMA: pgSchema } : {}) };
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ records?: RecordReconcileReport }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { records?: RecordReconcileReport });
    });
    child.once('exit', (code) => reject(new Error(`bridge child exited (${code}) before ready: ${err}`)));
  });
  const killWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { process: child, records: ready.records, stderr: () => err, kill9: () => killWith('SIGKILL'), stop: () => killWith('SIGTERM') };
}
