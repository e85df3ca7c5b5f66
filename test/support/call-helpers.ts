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

/** 20 ms frames of `pcm` (8 kHz) whose level is above `minRms`. */
export function audibleFrames(pcm: Int16Array, minRms = 300, from = 0, to = pcm.length): number {
  let n = 0;
  for (let i = from; i + 160 <= to; i += 160) if (rms(pcm, i, i + 160) > minRms) n++;
  return n;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
