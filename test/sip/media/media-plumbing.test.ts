import { describe, expect, it, vi } from 'vitest';
import { MediaClock } from '../../../sip/media/media-clock.js';
import { PortAllocator } from '../../../sip/media/port-allocator.js';
import { SymmetricLatch } from '../../../sip/media/symmetric-latch.js';
import { bindPair, closeSocket } from '../../../sip/media/udp-pair.js';

describe('PortAllocator', () => {
  it('hands out even ports round-robin, RTCP +1 inside the range, and refuses when full', () => {
    const a = new PortAllocator({ min: 20001, max: 20008 });
    expect(a.capacity).toBe(3); // 20002/3, 20004/5, 20006/7 (20008 has no 20009)
    expect([a.reserve(), a.reserve(), a.reserve(), a.reserve()]).toEqual([20002, 20004, 20006, undefined]);
    a.release(20002);
    a.release(20006);
    expect(a.reserve()).toBe(20002); // the cursor moved on: the oldest free port is next
    expect(a.reserve()).toBe(20006);
    expect(() => new PortAllocator({ min: 100, max: 200 })).toThrow(RangeError);
  });

  it('bindPair skips a port the OS has in use', async () => {
    const blocker = await bindPair({ address: '127.0.0.1', rtcpMux: false });
    const a = new PortAllocator({ min: blocker.port, max: blocker.port + 3 });
    const pair = await bindPair({ address: '127.0.0.1', allocator: a, rtcpMux: false });
    expect(pair.port).toBe(blocker.port + 2);
    expect(a.inUse).toBe(1);
    await Promise.all([closeSocket(pair.rtp), closeSocket(pair.rtcp!), closeSocket(blocker.rtp), closeSocket(blocker.rtcp!)]);
  });
});

describe('SymmetricLatch', () => {
  it('latches the first source; a new one needs 5 in-sequence packets after 200 ms of quiet', () => {
    const l = new SymmetricLatch();
    expect(l.offer('198.51.100.1', 4000, 10, 0)).toBe(true);
    for (let i = 0; i < 10; i++) expect(l.offer('203.0.113.9', 5000, 100 + i, 10)).toBe(false);
    expect(l.address).toBe('198.51.100.1');
    const got = [0, 1, 2, 3, 4].map((i) => l.offer('203.0.113.9', 5002, 200 + i, 300 + i * 20));
    expect(got).toEqual([false, false, false, false, true]);
    expect([l.address, l.port, l.relatches]).toEqual(['203.0.113.9', 5002, 1]);
  });

  it('out-of-sequence packets from a new source never confirm it', () => {
    const l = new SymmetricLatch();
    l.offer('a', 1, 0, 0);
    for (let i = 0; i < 20; i++) expect(l.offer('b', 2, i * 7, 1000)).toBe(false);
  });

  it('reset (re-INVITE) lets the next packet latch at once', () => {
    const l = new SymmetricLatch();
    l.offer('a', 1, 0, 0);
    l.reset();
    expect(l.offer('b', 2, 9, 1)).toBe(true);
    expect(l.address).toBe('b');
  });
});

describe('MediaClock', () => {
  it('ticks on a 20 ms grid without accumulating lateness, skips (never bunches) after a stall, and stops its timer when empty', () => {
    // Timer logic, so fake timers: the clock's own time is the fake timers' plus `stall`, which a
    // tick raises to stand for a callback that ran late (the machine was busy).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let t = 1000;
      let stall = 0;
      const c = new MediaClock(20, () => t + stall);
      const at: number[] = [];
      const fn = (now: number) => {
        at.push(now - 1000);
        if (at.length === 10) stall = 75; // the 10th tick ran 75 ms late
      };
      c.add(fn);
      for (let i = 0; i < 100; i++) {
        t += 5;
        vi.advanceTimersByTime(5);
      }
      c.remove(fn);
      expect(c.running).toBe(false);
      // Slots come from the start time: 20 … 200, then the three slots the stall covered are skipped
      // (no catch-up burst) and the grid goes on from 280, not 75 ms after the late tick.
      const grid = (from: number, to: number) => Array.from({ length: (to - from) / 20 + 1 }, (_, i) => from + 20 * i);
      expect(at.slice(0, 10)).toEqual(grid(20, 200));
      expect(at.slice(10)).toEqual(grid(280, 560)); // the last fake timer fires at 485 ms, read as 485 + 75
    } finally {
      vi.useRealTimers();
    }
  });
});
