/**
 * CPU and memory of one process, read from /proc (Linux only), so the bridge's
 * own cost is measured apart from the load generator and the agent.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK` (100 on every common Linux build). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of every thread of `pid` (main thread, GC and libuv workers), in ms. */
export function processCpuMs(pid: number): number {
  const { userMs, systemMs } = processCpuSplitMs(pid);
  return userMs + systemMs;
}

/** utime and stime of `pid` apart: the kernel's share is mostly socket I/O. */
export function processCpuSplitMs(pid: number): { userMs: number; systemMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const msPerTick = 1000 / clockTicksPerSecond();
  return { userMs: Number(fields[11]) * msPerTick, systemMs: Number(fields[12]) * msPerTick };
}

/** Resident set size of `pid` in bytes (VmRSS). */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** Busy and total CPU time of the whole machine (all cores), in ms, from /proc/stat. */
export function machineCpuMs(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const toMs = 1000 / clockTicksPerSecond();
  return { busyMs: (total - idle) * toMs, totalMs: total * toMs };
}
