import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallPrep, prepTask } from '../../src/call/call-prep.js';

const GREETING = prepTask<string>('greeting');
const URL_TASK = prepTask<number>('url');

describe('CallPrep (fake timers)', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('hands a started task to whoever takes it, once', async () => {
    const prep = new CallPrep({ ttlMs: 10_000 });
    prep.start('CA1', GREETING, async () => 'hello');
    prep.start('CA1', URL_TASK, async () => 42);
    expect(prep.size).toBe(1);
    await expect(prep.take('CA1', GREETING)).resolves.toBe('hello');
    expect(prep.take('CA1', GREETING)).toBeUndefined();
    expect(prep.size).toBe(1); // the url task is still waiting
    await expect(prep.take('CA1', URL_TASK)).resolves.toBe(42);
    expect(prep.size).toBe(0);
    expect(prep.take('CA2', GREETING)).toBeUndefined();
  });

  it('starting the same task twice for a call keeps the first (retried webhook)', async () => {
    const prep = new CallPrep({ ttlMs: 10_000 });
    const run = vi.fn(async () => 'first');
    prep.start('CA1', GREETING, run);
    prep.start('CA1', GREETING, async () => 'second');
    expect(run).toHaveBeenCalledTimes(1);
    await expect(prep.take('CA1', GREETING)).resolves.toBe('first');
  });

  it('expires untaken work after the TTL: aborted, dropped, reported', async () => {
    const dropped: string[] = [];
    const prep = new CallPrep({ ttlMs: 5_000, onDropped: (task, why) => dropped.push(`${task}:${why}`) });
    let signal: AbortSignal | undefined;
    prep.start('CA1', GREETING, (s) => {
      signal = s;
      return new Promise<string>(() => undefined);
    });
    vi.advanceTimersByTime(4_999);
    expect(prep.size).toBe(1);
    expect(signal?.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(prep.size).toBe(0);
    expect(signal?.aborted).toBe(true);
    expect(dropped).toEqual(['greeting:expired']);
    expect(prep.take('CA1', GREETING)).toBeUndefined();
  });

  it('a taken task is no longer aborted by the TTL', async () => {
    const prep = new CallPrep({ ttlMs: 1_000 });
    let signal: AbortSignal | undefined;
    prep.start('CA1', GREETING, async (s) => ((signal = s), 'x'));
    const p = prep.take('CA1', GREETING);
    vi.advanceTimersByTime(5_000);
    expect(signal?.aborted).toBe(false);
    await expect(p).resolves.toBe('x');
  });

  it('discard aborts at once; a failing or throwing task never raises an unhandled rejection', async () => {
    const prep = new CallPrep({ ttlMs: 10_000 });
    let signal: AbortSignal | undefined;
    prep.start('CA1', GREETING, async (s) => ((signal = s), Promise.reject(new Error('boom'))));
    prep.start('CA2', GREETING, () => { throw new Error('sync boom'); });
    await expect(prep.take('CA2', GREETING)).rejects.toThrow('sync boom');
    prep.discard('CA1');
    expect(signal?.aborted).toBe(true);
    expect(prep.size).toBe(0);
  });
});
