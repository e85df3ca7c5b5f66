import { describe, expect, it } from 'vitest';
import { ALAW_SILENCE, alawToPcm, pcmToAlaw } from '../../media/g711.js';
import { JitterBuffer } from '../../media/jitter-buffer.js';

/** Frame k: a distinct constant A-law byte (never the silence code), so output order is visible. */
function frame(k: number): Uint8Array {
  return new Uint8Array(160).fill((k % 100) + 1);
}

function drain(jb: JitterBuffer, ticks: number): Array<{ kind: string; byte: number }> {
  const out = new Uint8Array(160);
  const got: Array<{ kind: string; byte: number }> = [];
  for (let i = 0; i < ticks; i++) {
    const kind = jb.pop(out);
    got.push({ kind, byte: out[0]! });
  }
  return got;
}

describe('JitterBuffer', () => {
  it('holds back delayFrames ticks, then plays reordered packets in sequence order', () => {
    const jb = new JitterBuffer({ law: 'alaw', delayFrames: 3 });
    const seq0 = 65533; // wraps during the test
    const order = [0, 2, 1, 3, 5, 4];
    for (const k of order) expect(jb.push((seq0 + k) & 0xffff, (4294967000 + k * 160) >>> 0, frame(k))).toBe('ok');
    const got = drain(jb, 9);
    expect(got.slice(0, 3).map((g) => g.kind)).toEqual(['idle', 'idle', 'idle']);
    expect(got.slice(3).map((g) => g.byte)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(jb.stats).toMatchObject({ received: 6, lost: 0, duplicate: 0, late: 0 });
  });

  it('drops duplicates and counts them; counts a late packet', () => {
    const jb = new JitterBuffer({ law: 'alaw', delayFrames: 0 });
    jb.push(10, 0, frame(0));
    expect(jb.push(10, 0, frame(0))).toBe('duplicate');
    jb.push(12, 320, frame(2));
    drain(jb, 2); // plays 0, conceals 1
    expect(jb.push(11, 160, frame(1))).toBe('late');
    expect(jb.stats).toMatchObject({ received: 2, duplicate: 1, late: 1, lost: 0, concealed: 1 });
  });

  it('conceals a lost frame by the last frame at −6 dB once, then silence', () => {
    const jb = new JitterBuffer({ law: 'alaw', delayFrames: 0 });
    const loud = new Uint8Array(160);
    pcmToAlaw(new Int16Array(160).fill(8000), loud);
    jb.push(0, 0, loud);
    jb.push(3, 480, frame(3)); // 1 and 2 lost
    const out = new Uint8Array(160);
    const pcm = new Int16Array(160);
    expect(jb.pop(out)).toBe('audio');
    expect(jb.pop(out)).toBe('concealed');
    alawToPcm(out, pcm);
    expect(Math.abs(pcm[0]! - 4000)).toBeLessThan(200);
    expect(jb.pop(out)).toBe('concealed');
    expect(out.every((b) => b === ALAW_SILENCE)).toBe(true);
    expect(jb.pop(out)).toBe('audio');
    expect(jb.stats.lost).toBe(2);
  });

  it('keeps the delay bounded when packets arrive in a burst', () => {
    const jb = new JitterBuffer({ law: 'alaw', delayFrames: 2, maxDelayFrames: 6 });
    for (let k = 0; k < 20; k++) jb.push(k, k * 160, frame(k));
    expect(jb.depthFrames).toBeLessThanOrEqual(6);
    expect(jb.stats.overflowDropped).toBe(14);
    const got = drain(jb, 8).filter((g) => g.kind === 'audio').map((g) => g.byte);
    expect(got).toEqual([15, 16, 17, 18, 19, 20]);
  });

  it('re-buffers after the peer pauses (DTX) instead of playing the next talk-spurt late', () => {
    const jb = new JitterBuffer({ law: 'alaw', delayFrames: 2 });
    jb.push(0, 0, frame(0));
    drain(jb, 3); // idle, idle, audio
    const pause = drain(jb, 10);
    expect(pause[0]!.kind).toBe('concealed');
    expect(pause.slice(1).every((g) => g.kind === 'silence')).toBe(true);
    // Talk-spurt resumes 11 frames later (timestamps kept running): no late packets.
    expect(jb.push(1, 12 * 160, frame(1))).toBe('reset');
    const next = drain(jb, 3);
    expect(next.map((g) => g.kind)).toEqual(['silence', 'silence', 'audio']);
    expect(jb.stats.late).toBe(0);
  });

  it('resynchronises when the peer jumps its timestamps backwards', () => {
    const jb = new JitterBuffer({ law: 'alaw', delayFrames: 1 });
    for (let k = 0; k < 5; k++) jb.push(k, 100_000 + k * 160, frame(k));
    drain(jb, 4);
    const results: string[] = [];
    for (let k = 5; k < 20; k++) results.push(jb.push(k, k * 160, frame(k)));
    expect(results.filter((r) => r === 'late')).toHaveLength(9);
    expect(results[9]).toBe('reset');
    expect(results.slice(10).every((r) => r === 'ok')).toBe(true);
  });

  it('plays 30 ms packets as 20 ms frames (placement by timestamp)', () => {
    const jb = new JitterBuffer({ law: 'alaw', delayFrames: 0, maxDelayFrames: 8 });
    for (let k = 0; k < 4; k++) jb.push(k, k * 240, new Uint8Array(240).fill(k + 1));
    const out = new Uint8Array(160);
    const bytes: number[] = [];
    for (let i = 0; i < 6; i++) {
      expect(jb.pop(out)).toBe('audio');
      bytes.push(...out);
    }
    expect(bytes).toEqual([...Array(960).keys()].map((i) => Math.floor(i / 240) + 1));
  });
});

describe('JitterBuffer adaptive mode', () => {
  /** Starting at the minimum (no learning frame): the growth mechanics alone. */
  const adaptive = (): JitterBuffer => new JitterBuffer({ law: 'alaw', delayFrames: 0, maxDelayFrames: 10, adaptive: true, startFrames: 0 });
  const learning = (): JitterBuffer => new JitterBuffer({ law: 'alaw', delayFrames: 0, maxDelayFrames: 10, adaptive: true });

  it('starts with one frame of cushion plus an 8 ms lead when pop is given the time', () => {
    const jb = learning();
    const out = new Uint8Array(160);
    jb.push(0, 0, frame(0), 100);
    expect(jb.stats.targetFrames).toBe(1);
    expect([jb.pop(out, 105), jb.pop(out, 125)]).toEqual(['idle', 'idle']); // 25 ms < 20 + 8
    expect(jb.pop(out, 145)).toBe('audio');
    expect(out[0]).toBe(1);
  });

  it('without the time it counts ticks: one tick of cushion; with startFrames 0 the next tick plays', () => {
    const jb = learning();
    jb.push(0, 0, frame(0), 0);
    expect(drain(jb, 2).map((g) => g.kind)).toEqual(['idle', 'audio']);
    const zero = adaptive();
    zero.push(0, 0, frame(0), 0);
    expect(drain(zero, 1).map((g) => g.byte)).toEqual([1]);
    expect(zero.stats.targetFrames).toBe(0);
  });

  it('a packet reordered ahead of the start frame, arriving before playout begins, becomes the start', () => {
    const jb = learning();
    const out = new Uint8Array(160);
    expect(jb.push(11, 160, frame(1), 0)).toBe('ok');
    expect(jb.push(10, 0, frame(0), 5)).toBe('ok'); // not 'late': nothing played yet
    // Frame 0 came 25 ms after its slot (frame 1's arrival says the slot was at −20): due at 5 + 28.
    expect(jb.pop(out, 30)).toBe('idle');
    const got = [jb.pop(out, 50), out[0], jb.pop(out, 70), out[0]];
    expect(got).toEqual(['audio', 1, 'audio', 2]);
    expect(jb.stats).toMatchObject({ late: 0, lost: 0, concealed: 0 });
  });

  it('a frame lost while the buffer held for it: the held frame stands for it, playout moves on without growing', () => {
    const jb = adaptive();
    jb.push(0, 0, frame(0), 0);
    expect(drain(jb, 2).map((g) => g.kind)).toEqual(['audio', 'concealed']); // waiting for frame 1
    jb.push(2, 320, frame(2), 45); // frame 1 never comes
    jb.push(3, 480, frame(3), 60);
    expect(drain(jb, 2).map((g) => g.byte)).toEqual([3, 4]);
    expect(jb.stats).toMatchObject({ concealed: 1, lost: 1, targetFrames: 0 });
  });

  it('a late packet whose slot was just concealed is played next: the concealment becomes the delay growth', () => {
    const jb = adaptive();
    jb.push(0, 0, frame(0), 0);
    jb.push(2, 320, frame(2), 40); // frame 1 is late
    expect(drain(jb, 2).map((g) => g.kind)).toEqual(['audio', 'concealed']);
    expect(jb.push(1, 160, frame(1), 45)).toBe('ok');
    expect(drain(jb, 2).map((g) => g.byte)).toEqual([2, 3]); // frame 1, then 2: nothing lost
    expect(jb.stats).toMatchObject({ late: 1, recovered: 1, targetFrames: 1, lost: 0 });
  });

  it('a dry buffer waits for the due frame (delay grows) instead of restarting; a long silence is a pause', () => {
    const jb = adaptive();
    jb.push(0, 0, frame(0), 0);
    drain(jb, 1);
    expect(drain(jb, 2).map((g) => g.kind)).toEqual(['concealed', 'concealed']); // waiting for frame 1
    jb.push(1, 160, frame(1), 60);
    jb.push(2, 320, frame(2), 61);
    expect(drain(jb, 2).map((g) => g.byte)).toEqual([2, 3]);
    expect(jb.stats.targetFrames).toBe(2);
    const pause = drain(jb, 6).map((g) => g.kind);
    expect(pause.slice(0, 3)).toEqual(['concealed', 'concealed', 'concealed']);
    expect(pause.at(-1)).toBe('silence'); // gave up waiting: re-buffers on the next packet
  });

  it('a late packet beyond the concealed run inserts as many frames as it was late', () => {
    const jb = adaptive();
    for (let k = 0; k < 3; k++) jb.push(k, k * 160, frame(k), k * 20);
    jb.push(4, 640, frame(4), 80);
    drain(jb, 5); // 0 1 2, concealed 3, 4
    expect(jb.push(3, 480, frame(3), 101)).toBe('late'); // 2 frames behind playout, and frame 4 already played
    jb.push(5, 800, frame(5), 102);
    expect(drain(jb, 3).map((g) => g.kind)).toEqual(['concealed', 'concealed', 'audio']);
    expect(jb.stats.targetFrames).toBe(2);
  });
});
