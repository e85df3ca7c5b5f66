import twilio from 'twilio';

const TTL_MS = 10 * 60_000;

/**
 * What Twilio should do once a call's Media Stream has closed. Closing the
 * socket ends `<Connect>`, and Twilio requests its `action` URL (§1.2); the
 * session leaves its instruction here (hang up; later: dial an operator).
 */
export class AfterStreamActions {
  private readonly pending = new Map<string, { twiml: string; at: number }>();

  set(callSid: string, twiml: string, now = Date.now()): void {
    this.prune(now);
    this.pending.set(callSid, { twiml, at: now });
  }

  /** The instruction for this call, or a plain hang-up. */
  take(callSid: string): string {
    const entry = this.pending.get(callSid);
    this.pending.delete(callSid);
    return entry?.twiml ?? hangupTwiml();
  }

  private prune(now: number): void {
    for (const [sid, e] of this.pending) if (now - e.at > TTL_MS) this.pending.delete(sid);
  }
}

export function hangupTwiml(): string {
  const r = new twilio.twiml.VoiceResponse();
  r.hangup();
  return r.toString();
}

/** A goodbye spoken by Twilio, then hang up. */
export function sayTwiml(message: string): string {
  const r = new twilio.twiml.VoiceResponse();
  r.say(message);
  r.hangup();
  return r.toString();
}
