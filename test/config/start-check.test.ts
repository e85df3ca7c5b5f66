import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm start', () => {
  it('reports a bad setting with its value before building anything', async () => {
    const child = spawn('npm', ['start'], { env: { ...process.env, PORT: 'eighty', LOG_LEVEL: 'loud' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(out).toContain('PORT="eighty": expected a number');
    expect(out).toContain('LOG_LEVEL="loud": expected one of fatal');
    // The check ran first: the TypeScript build never started.
    expect(out).not.toContain('tsc -p tsconfig.build.json');
  });
});
