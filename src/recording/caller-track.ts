/** A frame that starts this close after the covered part abuts it (rounding, not a gap). */
const SNAP_SAMPLES = 2;
/** A frame that implies media time 0 was sent this much earlier than the best estimate: the media clock jumped ahead. */
const JUMP_AHEAD_MS = 1000;
/** ...or this much later: the media clock jumped back (a frame is never this late and still worth recording). */
const JUMP_BACK_MS = 10_000;

/** One placement of a media clock on the timeline: where its media time 0 lies (samples). */
interface Anchor {
  base: number;
}

interface Frame {
  anchor: Anchor;
  /** Media time of its first sample, in samples of the timeline's rate. */
  media: number;
  payload: Uint8Array;
  length: number;
  decoded?: Int16Array;
}

/**
 * The caller's audio on the recording's timeline (samples since its origin),
 * placed by media time, not by arrival: a frame stamped m (Twilio's media
 * timestamp, RTP's timestamp) lies at base + m, where base is where the
 * stream's media time 0 lies. An arrival at position a bounds base from
 * above (a − m: it cannot have arrived before it was sent), so base is the
 * least a − m seen: the most prompt frame places all of them, and frames
 * that arrive late or out of order land where their stamps say. A new
 * stream (RTP SSRC) or a media time that jumps (an arrival that implies a
 * base far from the current one) starts a new anchor at its arrival.
 *
 * Payloads are decoded when written, in timeline order (ADPCM state follows
 * the stream). Pure: positions are passed in.
 */
export class CallerTrack {
  private frames: Frame[] = [];
  private anchor: Anchor | undefined;
  private stream: number | string | undefined;
  private readonly perMs: number;

  constructor(rate: number, private readonly samplesPerByte: number, private readonly decode: (payload: Uint8Array) => Int16Array) {
    this.perMs = rate / 1000;
  }

  private pos(f: Frame): number {
    return f.anchor.base + f.media;
  }

  /**
   * A frame stamped `mediaMs` on stream `stream` arrived at position `now`.
   * Returns how late it came (samples behind the most prompt frames) and by
   * how much it moved the stream's base earlier (0 when it started a new one).
   */
  add(payload: Uint8Array, mediaMs: number, stream: number | string | undefined, now: number): { late: number; earlier: number } {
    const media = Math.round(mediaMs * this.perMs);
    const implied = now - media;
    const a = this.anchor;
    let earlier = 0;
    if (!a || stream !== this.stream || implied < a.base - JUMP_AHEAD_MS * this.perMs || implied > a.base + JUMP_BACK_MS * this.perMs) {
      this.anchor = { base: implied };
      this.stream = stream;
    } else if (implied < a.base) {
      earlier = a.base - implied;
      a.base = implied;
    }
    this.frames.push({ anchor: this.anchor!, media, payload, length: payload.length * this.samplesPerByte });
    return { late: implied - this.anchor!.base, earlier };
  }

  /** Where the current stream's media time 0 lies (undefined before any frame). */
  get base(): number | undefined {
    return this.anchor?.base;
  }

  /** Every position moves by `by` (the timeline's origin moved before anything was written). */
  shift(by: number): void {
    const anchors = new Set(this.frames.map((f) => f.anchor));
    if (this.anchor) anchors.add(this.anchor);
    for (const a of anchors) a.base += by;
  }

  private sorted(): Frame[] {
    return this.frames.sort((x, y) => this.pos(x) - this.pos(y));
  }

  /** How far from `from` the caller's audio is complete (no frame missing in between). */
  ready(from: number): number {
    let cursor = from;
    for (const f of this.sorted()) {
      const p = this.pos(f);
      if (p > cursor + SNAP_SAMPLES) break;
      cursor = Math.max(cursor, p + f.length);
    }
    return cursor;
  }

  /** The end of the latest frame received. */
  get end(): number {
    let end = -Infinity;
    for (const f of this.frames) end = Math.max(end, this.pos(f) + f.length);
    return end;
  }

  /** Writes [from, to) through `write(position, sample)` (later frames over earlier ones) and forgets frames done. */
  render(from: number, to: number, write: (pos: number, sample: number) => void): void {
    for (const f of this.sorted()) {
      const p = this.pos(f);
      if (p >= to) break;
      if (p + f.length <= from) continue; // came after its place was written: too late
      const samples = (f.decoded ??= this.decode(f.payload));
      for (let i = Math.max(from, p); i < Math.min(to, p + samples.length); i++) write(i, samples[i - p]!);
    }
    // A frame that goes on past `to` is kept for the rest.
    this.frames = this.frames.filter((f) => this.pos(f) + f.length > to);
  }
}
