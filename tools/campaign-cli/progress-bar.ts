/** A one-line progress bar for a TTY (redrawn with \r), or plain lines when not a TTY. */
export interface ProgressCounts {
  total: number;
  done: number;
  active: number;
  pending: number;
}

export function renderBar(p: ProgressCounts, width = 30): string {
  const ratio = p.total === 0 ? 1 : p.done / p.total;
  const filled = Math.round(ratio * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  return `[${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${p.done}/${p.total} done, ${p.active} active, ${p.pending} pending`;
}

export class ProgressBar {
  private last = '';

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }) {}

  update(p: ProgressCounts, suffix = ''): void {
    const line = renderBar(p) + (suffix ? ` ${suffix}` : '');
    if (line === this.last) return;
    this.last = line;
    this.out.write(this.out.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  }

  finish(): void {
    if (this.out.isTTY && this.last) this.out.write('\n');
  }
}
