import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CallLeg, CallLegHandler } from '../call/call-leg.js';
import type { Logger } from '../logger.js';
import { CallRecorder, type RecordingResult } from './call-recorder.js';

/**
 * The recordings of this instance's calls, under `<dataDir>/recordings`:
 * started per call (policy `recording: on`), paused and resumed through the
 * API, finished at the call's end, deleted by retention.
 */
export class Recordings {
  readonly dir: string;
  private readonly active = new Map<string, { recorder: CallRecorder; leg: CallLeg; tapped: CallLeg }>();

  constructor(dataDir: string, private readonly log: Logger) {
    this.dir = resolve(dataDir, 'recordings');
  }

  /** The leg the call should use: every frame each way also goes to the recording. */
  record(callId: string, leg: CallLeg): CallLeg {
    const active = this.active.get(callId);
    // A leg handed on within the call (a broadcast's menu to an agent) keeps its recording.
    if (active) return active.leg === leg ? active.tapped : leg;
    try {
      mkdirSync(this.dir, { recursive: true });
      // An RTP sender reports every slot it sends, silence included (SipCallLeg.setWireTap).
      const recorder = new CallRecorder(join(this.dir, fileName(callId)), leg.codec, undefined, leg.kind === 'sip');
      const tapped = tappedLeg(leg, recorder);
      this.active.set(callId, { recorder, leg, tapped });
      return tapped;
    } catch (err) {
      this.log.error({ callId, err: (err as Error).message }, 'recording could not start; the call goes on unrecorded');
      return leg;
    }
  }

  get(callId: string): CallRecorder | undefined {
    return this.active.get(callId)?.recorder;
  }

  /** Closes the call's recording; undefined when it had none (or writing it failed, logged). */
  async finish(callId: string): Promise<(RecordingResult & { file: string }) | undefined> {
    const recorder = this.active.get(callId)?.recorder;
    if (!recorder) return undefined;
    this.active.delete(callId);
    try {
      const result = await recorder.close();
      return { ...result, file: fileName(callId) };
    } catch (err) {
      this.log.error({ callId, err: (err as Error).message }, 'recording could not be finished');
      return undefined;
    }
  }

  /** The absolute path of a stored recording's file name (never outside the directory). */
  pathOf(file: string): string | undefined {
    if (!/^[\w.-]+\.wav$/.test(file)) return undefined;
    return join(this.dir, file);
  }

  /** Retention: deletes the call's file if there is one. */
  async remove(callId: string): Promise<boolean> {
    if (this.active.has(callId)) return false;
    const path = join(this.dir, fileName(callId));
    try {
      await rm(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

/** A file name from any call id (CallSid, UUID, SIP Call-ID with `@`): readable part plus a hash against collisions. */
export function fileName(callId: string): string {
  const readable = callId.replace(/[^\w.-]/g, '_').slice(0, 80);
  const hash = createHash('sha256').update(callId).digest('hex').slice(0, 10);
  return `${readable}-${hash}.wav`;
}

/**
 * The same leg, with caller frames and what goes on the wire to the caller
 * copied to the recorder. A Proxy so that every other member of whatever
 * leg this is (Twilio, SIP) passes through untouched.
 */
function tappedLeg(leg: CallLeg, recorder: CallRecorder): CallLeg {
  // Twilio and SIP legs report frames as they go on and come off the wire (Twilio: paced up to
  // PLAYOUT_LEAD_MS ahead, then probed; RTP: one per 20 ms slot, at its timestamp's media time).
  // Any other leg is recorded as audio is queued and handed on.
  const onWire = typeof leg.setWireTap === 'function';
  leg.setWireTap?.({
    received: (frame, mediaMs, stream) => recorder.caller(frame, mediaMs, stream),
    sent: (frame, atMs, probe) => recorder.sent(frame, atMs, probe),
    played: (probe) => recorder.played(probe),
    cleared: () => recorder.cleared(),
  });
  return new Proxy(leg, {
    get(target, prop) {
      if (prop === 'sendAudio' && !onWire) return (frame: Uint8Array) => { recorder.sent(frame, performance.now()); target.sendAudio(frame); };
      if (prop === 'clear' && !onWire) return () => { recorder.cleared(); target.clear(); };
      if (prop === 'attach' && !onWire) return (handler: CallLegHandler) => target.attach(tappedHandler(handler, recorder));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Legs without a wire tap: caller frames as the leg hands them on, one after the other (no media time to go by). */
function tappedHandler(handler: CallLegHandler, recorder: CallRecorder): CallLegHandler {
  let mediaMs = 0;
  return {
    onAudio: (frame) => {
      recorder.caller(frame.payload, mediaMs);
      mediaMs += frame.payload.length / 8; // every leg codec carries 20 ms in 160 bytes
      handler.onAudio(frame);
    },
    onDtmf: (digit) => handler.onDtmf(digit),
    onPlayed: (label) => handler.onPlayed(label),
    onEnded: (reason, detail) => handler.onEnded(reason, detail),
  };
}
