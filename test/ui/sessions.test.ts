import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/ui/sessions.js';

describe('SessionStore', () => {
  it('gives unguessable ids and slides the expiry on each use', () => {
    let now = 1_000_000;
    const store = new SessionStore(60_000, () => now);
    const a = store.create();
    const b = store.create();
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect(a.id).not.toBe(b.id);
    now += 50_000;
    expect(store.touch(a.id)).toBe(a); // used: extended to now + 60 s
    now += 50_000;
    expect(store.touch(a.id)).toBe(a);
    expect(store.touch(b.id)).toBeUndefined(); // idle for 100 s: gone
    expect(store.touch(undefined)).toBeUndefined();
    expect(store.touch('forged')).toBeUndefined();
  });

  it('forgets a session at logout and bounds how many exist', () => {
    const store = new SessionStore(60_000, Date.now, 3);
    const first = store.create();
    store.create();
    store.create();
    store.create();
    expect(store.size).toBe(3);
    expect(store.touch(first.id)).toBeUndefined(); // the oldest made room
    const s = store.create();
    store.delete(s.id);
    expect(store.touch(s.id)).toBeUndefined();
  });
});
