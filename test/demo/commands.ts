import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const ROOT = process.cwd();

/** The shell commands in the README's fenced `sh` blocks under a `## heading`, in order (continuation lines joined). */
export function readmeCommands(heading: string): string[] {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 4);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1]!.replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) {
      const cmd = line.replace(/\s+#.*$/, '').trim();
      if (cmd && !cmd.startsWith('#')) commands.push(cmd);
    }
  }
  return commands;
}

export interface Run {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once it matches (bounded). */
  waitFor(re: RegExp, ms: number): Promise<string>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Runs a command line as a user would type it (sh -c), in its own process group so it can be stopped whole. */
export function run(command: string, env: Record<string, string> = {}): Run {
  const child = spawn('sh', ['-c', command], { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // After the exit and once its output pipes are closed: everything it wrote has been read.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (re, ms) => new Promise((resolve, reject) => {
      const check = () => {
        if (!re.test(out)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(out);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${re} within ${ms} ms in:\n${out}`));
      }, ms);
      waiters.add(check);
      void closed.then(() => { if (!re.test(out)) { clearTimeout(timer); waiters.delete(check); reject(new Error(`exited without ${re}:\n${out}`)); } });
      check();
    }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
