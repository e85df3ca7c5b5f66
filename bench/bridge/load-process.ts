/**
 * Load generator: places simulated Twilio calls (signed webhook, TwiML, Media
 * Stream) on the system under test with the Twilio stand-in, each caller
 * sending a continuous low-level tone in real time, and measures per-frame
 * round trip and its own lateness. Driven by bench/run.ts over IPC; several of
 * these can run side by side so one event loop does not starve 300 callers.
 */
import { performance } from 'node:perf_hooks';
import { simulateInboundCall, type SimulatedCall } from '../../tools/twilio-standin/call-simulator.js';
import type { FromLoad, LoadResult, LoadStart, ToLoad } from './messages.js';
import { newHistogram, record } from './stats.js';

const FRAME_BYTES = 160;
/** A call not connected by then counts as failed (an overloaded system must not hang the bench). */
const CONNECT_TIMEOUT_MS = 20_000;
/** Every MARKER_PERIOD-th frame (at MARKER_PHASE) is digital silence: a marker whose echo can be found in what comes back. */
const MARKER_PERIOD = 50;
const MARKER_PHASE = 25;
/** Heard samples below this magnitude are "silent"; the tone's peaks are ~2000. */
const SILENT = 64;
/** A silent run this long (of 160) is a marker; the tone never has more than a sample or two near zero. */
const MIN_MARKER_RUN = 100;

/**
 * A dial-tone-like 350 + 440 Hz pair at about -24 dBFS as μ-law 8 kHz (never
 * silent, so the echo is continuous), with one frame of silence per second as
 * a round-trip marker. One buffer shared by every call.
 */
function toneUlaw(seconds: number): Uint8Array {
  const n = Math.round(seconds * 8000);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const frame = Math.floor(i / FRAME_BYTES);
    const x = 1000 * Math.sin((2 * Math.PI * 350 * i) / 8000) + 1000 * Math.sin((2 * Math.PI * 440 * i) / 8000);
    out[i] = frame % MARKER_PERIOD === MARKER_PHASE ? 0xff : linearToUlaw(Math.round(x));
  }
  return out;
}

/** G.711 μ-law encoder (ITU-T G.711, bias 0x84), local so the generator shares nothing with the bridge. */
function linearToUlaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(Math.abs(sample), 32635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

const send = (m: FromLoad): void => void process.send?.(m);
const calls: SimulatedCall[] = [];
const failures: string[] = [];
let windowStart = NaN;
let windowEnd = NaN;
let cpuAtStart = 0;
let cpuAtEnd = 0;
let placed = 0;
let soak = false;
let talker = false;
/** A pause between agent audio longer than this is a gap the caller hears; longer than TURN_PAUSE_MS it is a pause between turns. */
const GAP_MS = 40;
const TURN_PAUSE_MS = 1000;
/** Soak: how often each call's history is dropped. */
const FORGET_EVERY_MS = 10_000;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function placeCalls(cmd: LoadStart): Promise<void> {
  soak = cmd.soak ?? false;
  talker = cmd.agentMode === 'talker';
  if (soak) setInterval(() => { for (const c of calls) c.stream?.forgetHistory(); }, FORGET_EVERY_MS).unref();
  const audio = toneUlaw(cmd.audioSeconds);
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let j = 0; j < cmd.calls; j++) {
    const due = t0 + (j * cmd.stride + cmd.offset) * cmd.spacingMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const n = j * cmd.stride + cmd.offset;
    placed++;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`call not connected within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
    });
    const placing = simulateInboundCall({
      bridgeUrl: cmd.targetUrl,
      authToken: cmd.authToken,
      accountSid: cmd.accountSid,
      from: `+1555${String(1000000 + n).slice(1)}`,
      to: '+15550001111',
      callerAudio: { ulaw: audio },
      keepStreaming: true,
    });
    // A call that connects after its timeout is hung up at once: it was counted as failed.
    placing.then((call) => void (timedOut && call.hangup()), () => undefined);
    pending.push(
      Promise.race([placing, timeout]).then(
        (call) => {
          if (call.stream?.isOpen) calls.push(call);
          else failures.push(call.call.result?.detail ?? call.stream?.closedInfo?.reason ?? 'no stream');
        },
        (err: Error) => void failures.push(err.message),
      ).finally(() => clearTimeout(timer)),
    );
  }
  await Promise.all(pending);
  send({ type: 'ramped', connected: calls.length, failed: failures.length, rampMs: performance.now() - t0 });
}

function measure(hangupMs: number): LoadResult {
  const rtt = newHistogram(0.05, 2000);
  const lateness = newHistogram(0.05, 2000);
  const r: LoadResult = {
    type: 'result', callsPlaced: placed, callsConnected: calls.length, callsLiveAtWindowEnd: 0, failures: failures.slice(0, 20),
    windowFramesSent: 0, windowMarkersSent: 0, windowMarkersHeard: 0, duplicateMarkers: 0, windowBytesSent: 0, windowBytesHeard: 0,
    totalFramesSent: 0, totalFramesHeard: 0, rtt, lateness, wireProblems: 0, clears: 0, playoutGaps: 0, agentAudioMs: 0,
    windowCpuMs: cpuAtEnd - cpuAtStart, windowMs: windowEnd - windowStart, hangupMs,
    callMinRtt: newHistogram(0.05, 2000), callMedianRtt: newHistogram(0.05, 2000),
  };
  for (const call of calls) {
    const s = call.stream;
    if (!s || s.originMs === undefined) continue;
    const from = windowStart - s.originMs;
    const to = windowEnd - s.originMs;
    if (s.closedInfo === undefined || s.closedInfo.atMs >= to) r.callsLiveAtWindowEnd++;
    const sent = s.recorder.sentFrames;
    const heardFrames = s.recorder.heardFrameArrivals().length;
    r.totalFramesSent += sent.length;
    r.totalFramesHeard += heardFrames;
    const sentMarkers: number[] = [];
    for (const f of sent) {
      if (f.sentMs < from || f.sentMs >= to) continue;
      r.windowFramesSent++;
      r.windowBytesSent += FRAME_BYTES;
      record(lateness, f.sentMs - f.dueMs);
      if (f.index % MARKER_PERIOD === MARKER_PHASE) sentMarkers.push(f.sentMs);
    }
    for (const m of s.recorder.received) {
      if (m.event === 'media' && m.atMs >= from && m.atMs < to) r.windowBytesHeard += m.bytes;
      else if (m.event === 'clear') r.clears++;
    }
    if (talker) countPlayoutGaps(s, from, to, r);
    if (soak || talker) {
      r.wireProblems += s.recorder.problems.length;
      continue; // no history to pair markers with
    }
    // Each heard marker belongs to the last marker sent before it arrived (markers are 1 s apart).
    const heardMarkers = findHeardMarkers(s);
    const allSent = sent.filter((f) => f.index % MARKER_PERIOD === MARKER_PHASE).map((f) => f.sentMs);
    const matched = new Map<number, number>();
    let j = 0;
    for (const at of heardMarkers) {
      while (j + 1 < allSent.length && allSent[j + 1]! <= at) j++;
      const sentAt = allSent[j];
      if (sentAt === undefined || sentAt > at) continue;
      if (matched.has(sentAt)) r.duplicateMarkers++;
      else matched.set(sentAt, at - sentAt);
    }
    r.windowMarkersSent += sentMarkers.length;
    const mine: number[] = [];
    for (const sentAt of sentMarkers) {
      const ms = matched.get(sentAt);
      if (ms === undefined) continue;
      r.windowMarkersHeard++;
      record(rtt, ms);
      mine.push(ms);
    }
    // A per-call floor shows a standing queue (e.g. audio buffered while the agent connected, then paced out forever).
    if (mine.length) {
      mine.sort((x, y) => x - y);
      record(r.callMinRtt, mine[0]!);
      record(r.callMedianRtt, mine[mine.length >> 1]!);
    }
    r.wireProblems += s.recorder.problems.length;
  }
  return r;
}

/**
 * Talker: walks the agent audio in play-out order; a message that starts
 * playing 40 ms-1 s after the previous one ended is a gap the caller hears
 * mid-turn (the bridge fell behind); a `clear` (barge-in) starts a new turn.
 */
function countPlayoutGaps(s: NonNullable<SimulatedCall['stream']>, from: number, to: number, r: LoadResult): void {
  let prevEnd: number | undefined;
  for (const m of s.recorder.received) {
    if (m.event === 'clear') prevEnd = undefined;
    if (m.event !== 'media') continue;
    const end = m.playStartMs + m.bytes / 8;
    if (m.playStartMs >= from && m.playStartMs < to) {
      r.agentAudioMs += m.bytes / 8;
      const gap = prevEnd === undefined ? 0 : m.playStartMs - prevEnd;
      if (gap > GAP_MS && gap < TURN_PAUSE_MS) r.playoutGaps++;
    }
    prevEnd = end;
  }
}

/**
 * When each marker came back, on the sender's clock: walks the bridge's media
 * messages in arrival order over their decoded audio and finds each silent run
 * long enough to be a marker. Its time is the arrival of the message holding
 * the run's first silent sample plus that sample's offset in the message / 8
 * (ms at 8 kHz): the marker left at offset 0 of its frame, so the bridge's
 * filter delay (samples) counts, at sample precision, not rounded to 20 ms.
 */
function findHeardMarkers(s: NonNullable<SimulatedCall['stream']>): number[] {
  const heard = s.heardPcm(); // the play-out timeline; each message occupies [playStartMs*8, +bytes)
  const out: number[] = [];
  let run = 0;
  let runStartAt = 0;
  for (const m of s.recorder.received) {
    if (m.event !== 'media') continue;
    const start = Math.round(m.playStartMs * 8);
    const end = start + m.bytes;
    if (end > heard.length) break; // still queued for play-out: not rendered yet
    for (let i = start; i < end; i++) {
      const x = heard[i]!;
      if (x < SILENT && x > -SILENT) {
        if (run++ === 0) runStartAt = m.atMs + (i - start) / 8;
      } else {
        if (run >= MIN_MARKER_RUN) out.push(runStartAt);
        run = 0;
      }
    }
  }
  return out;
}

async function hangupAll(): Promise<number> {
  const t0 = performance.now();
  const ended = calls.map((c) => Promise.race([c.hangup(), new Promise((r) => setTimeout(r, 15_000))]));
  await Promise.all(ended);
  return performance.now() - t0;
}

process.on('message', (msg: ToLoad) => {
  switch (msg.type) {
    case 'start':
      placeCalls(msg).catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
      return;
    case 'window-start':
      windowStart = performance.now();
      cpuAtStart = cpuMs();
      return;
    case 'window-end':
      windowEnd = performance.now();
      cpuAtEnd = cpuMs();
      return;
    case 'hangup': {
      // Measure before hanging up (everything in flight has had the tail to arrive), then end the calls.
      const pre = measure(0);
      // The parent stops this process once it has the result (disconnecting right after a large send can cut it off).
      void hangupAll().then((ms) => send({ ...pre, hangupMs: ms }));
      return;
    }
  }
});
process.once('disconnect', () => setTimeout(() => process.exit(0), 1000).unref());
