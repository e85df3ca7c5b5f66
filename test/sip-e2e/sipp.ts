import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/wait.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface SippRun {
  code: number | null;
  /** sipp's error/trace output, for assertion messages. */
  output: string;
}

export interface SippOptions {
  scenario: string;
  /** `host:port` for a UAC; omitted for a UAS. */
  target?: string;
  sipPort: number;
  mediaPort?: number;
  service?: string;
  /** Extra `-key name value` pairs. */
  keys?: Record<string, string>;
  timeoutS?: number;
  /** Calls (transactions for a UAS registrar) before sipp exits; default 1. */
  calls?: number;
}

/** Run one sipp call (`-m 1`) on loopback; resolves when sipp exits (0 = scenario passed). */
export function runSipp(o: SippOptions): { done: Promise<SippRun>; kill(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const args = [
    ...(o.target ? [o.target] : []),
    '-sf', join(here, 'scenarios', o.scenario), '-i', '127.0.0.1', '-p', String(o.sipPort),
    '-m', String(o.calls ?? 1), '-nostdin', '-timeout', `${o.timeoutS ?? 20}s`, '-timeout_error', '-trace_err', '-trace_msg',
    '-message_file', join(dir, 'messages.log'), '-error_file', join(dir, 'errors.log'),
    ...(o.mediaPort ? ['-mp', String(o.mediaPort)] : []),
    ...(o.service ? ['-s', o.service] : []),
    ...Object.entries(o.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]),
  ];
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const done = new Promise<SippRun>((resolve) => {
    child.on('exit', (code) => {
      const logs = readdirSync(dir).filter((f) => f.endsWith('.log'))
        .map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').slice(-4000)}`).join('\n');
      resolve({ code, output: `${out.slice(-2000)}\n${logs}` });
    });
  });
  return { done, kill: () => child.kill('SIGTERM') };
}

/**
 * Resolves once a UDP socket is bound to `port` on this machine (e.g. sipp, a UAS, started and
 * listening). Read from /proc/net/udp (Linux): probing by binding the port ourselves could take
 * it from sipp.
 */
export async function udpPortBound(port: number): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // Lines: "sl local_address rem_address st …", local_address as 0100007F:13C4.
  await waitFor(() => readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1]?.endsWith(hex)), {
    everyMs: 10, what: `a UDP socket on port ${port}`,
  });
}
