import { describe, expect, it } from 'vitest';
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
  it('ticks on a 20 ms grid without accumulating lateness, and stops its timer when empty', async () => {
    const c = new MediaClock(20);
    const at: number[] = [];
    const fn = (now: number) => at.push(now);
    c.add(fn);
    await new Promise((r) => setTimeout(r, 1030));
    c.remove(fn);
    expect(c.running).toBe(false);
    // Timers may fire late on a loaded box (ticks are then skipped, not bunched); what must hold is
    // that every tick sits on the 20 ms grid, so lateness never accumulates.
    expect(at.length).toBeGreaterThanOrEqual(30);
    expect(at.length).toBeLessThanOrEqual(52);
    // Slots come from the start time, not from the previous tick: after a late tick the next one
    // is not pushed back, and no catch-up burst runs faster than the grid.
    const span = at.at(-1)! - at[0]!;
    expect(span / (at.length - 1)).toBeGreaterThanOrEqual(19.5);
    expect(span / (at.length - 1)).toBeLessThan(34);
  });
});
