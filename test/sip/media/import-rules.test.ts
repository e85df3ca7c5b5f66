/** Dependency direction (conventions): media/ is pure; sip/media/ uses media/ and node, never src/ or config/ or process.env. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const files = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
const imports = (file: string) => [...readFileSync(join(root, file), 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

describe('import rules', () => {
  it('media/ RTP modules import only media/ siblings (no I/O, no sip/src/config)', () => {
    for (const f of ['media/rtp-packet.ts', 'media/rtp-dtmf.ts', 'media/jitter-buffer.ts', 'media/jitter-adaptation.ts', 'media/jitter-start.ts', 'media/jitter-seq.ts', 'media/frame-concealer.ts', 'media/rtcp.ts', 'media/rtp-receive-stats.ts', 'media/g722.ts', 'media/g722-adpcm.ts', 'media/g722-tables.ts']) {
      for (const i of imports(f)) expect(i, `${f} imports ${i}`).toMatch(/^\.\/[\w-]+\.js$/);
    }
  });

  it('sip/media/ never imports src/ or config/ and never reads process.env', () => {
    for (const f of files('sip/media')) {
      for (const i of imports(f)) expect(i, `${f} imports ${i}`).not.toMatch(/(^|\/)(src|config)\//);
      expect(readFileSync(join(root, f), 'utf8'), f).not.toContain('process.env');
    }
  });
});
