import { spawnSync } from 'node:child_process';

const cache = new Map<string, boolean>();

/**
 * Whether an external program (sox, espeak-ng, sipp, …) is on PATH.
 * On a laptop a missing tool lets the caller skip with a reason; under CI=true
 * a missing tool is an error, so a skipped suite can never pass CI silently.
 */
export function haveTool(name: string): boolean {
  let found = cache.get(name);
  if (found === undefined) {
    found = spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
    cache.set(name, found);
  }
  if (!found && process.env.CI === 'true') {
    throw new Error(`${name} is required under CI=true but is not installed (.ci/run installs it)`);
  }
  return found;
}

export function missingToolsReason(names: string[]): string | undefined {
  const missing = names.filter((n) => !haveTool(n));
  return missing.length ? `skipped: ${missing.join(', ')} not installed` : undefined;
}
