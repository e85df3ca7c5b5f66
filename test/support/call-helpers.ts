import type { CallSession } from '../../src/call/call-session.js';
import type { Conversation } from '../../tools/reference-agent/reference-agent.js';
import { simulateInboundCall, type InboundCallOptions, type SimulatedCall } from '../../tools/twilio-standin/call-simulator.js';
import { ACCOUNT_SID, AUTH_TOKEN, type Harness } from './bridge-harness.js';
import { rms } from './signal.js';

/** Places a simulated inbound call and waits for the agent conversation it opens. */
export async function placeCall(
  h: Harness,
  opts: Partial<InboundCallOptions> = {},
): Promise<{ call: SimulatedCall; conv: Conversation; ended: Promise<CallSession> }> {
  const conv = new Promise<Conversation>((r) => h.agent.once('conversation', r));
  const ended = new Promise<CallSession>((r) => h.bridge.events.once('call-ended', r));
  const call = await simulateInboundCall({
    bridgeUrl: h.bridgeUrl, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID,
    from: '+15550001111', to: '+15550002222', ...opts,
  });
  return { call, conv: await conv, ended };
}

/**
 * The bridge's audio as the caller received it, frame after frame, without the
 * silence the playout timeline inserts where a frame arrived after the queue ran
 * dry: for checking content when the machine's scheduling jitter is not the point.
 */
export function receivedAudio(call: SimulatedCall): Int16Array {
  // The stream's own timeline: playStartMs counts from the stream's origin, which comes after the
  // call's start by the webhook and upgrade time (longer on a busy machine).
  const heard = call.stream!.heardPcm();
  const frames = call.stream!.recorder.received.flatMap((r) => (r.event === 'media' ? [r] : []));
  const out = new Int16Array(frames.length * 160);
  frames.forEach((f, i) => {
    const start = Math.round(f.playStartMs * 8);
    out.set(heard.subarray(start, start + Math.min(160, f.bytes)), i * 160);
  });
  return out;
}

/** 20 ms frames of `pcm` (8 kHz) whose level is above `minRms`. */
export function audibleFrames(pcm: Int16Array, minRms = 300, from = 0, to = pcm.length): number {
  let n = 0;
  for (let i = from; i + 160 <= to; i += 160) if (rms(pcm, i, i + 160) > minRms) n++;
  return n;
}

/**
 * Resolves once the bridge has the agent attached and forwards the caller's audio to it: the
 * first caller audio the agent receives comes after the bridge set up both audio paths.
 */
export function bridgeForwarding(conv: Conversation, timeoutMs = 15_000): Promise<void> {
  return conv.waitFor(() => conv.userAudio.chunks.length > 0, timeoutMs);
}
