/**
 * First words: from the caller's stream `start` to the first agent audio the
 * bridge sends the caller, with an agent service 80 ms away (the reference
 * agent's `networkDelay`: TCP + TLS set-up and one round trip per request or
 * upgrade) that answers its first message 300 ms after the conversation
 * starts. The bridge fetches the signed URL at the voice webhook (before the
 * stream exists) over a kept-alive connection; the conversation itself
 * opens only once the stream has started.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { simulateInboundCall } from '../../tools/twilio-standin/call-simulator.js';
import { ACCOUNT_SID, AUTH_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';

const RTT_MS = 80;
const FIRST_MESSAGE_DELAY_MS = 300;
const SIGNED_URL_PATH = '/v1/convai/conversation/get-signed-url';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface FirstWords {
  /** Stream `start` sent -> first agent media message at the caller, ms. */
  firstWordsMs: number;
  /** When the signed-URL request reached the agent service, relative to the stream start, ms (negative = before). */
  signedUrlRequestMs: number;
  /** When the agent's conversation socket started, relative to the stream start, ms. */
  conversationMs: number;
}

async function callAndMeasure(h: Harness): Promise<FirstWords> {
  const requestsBefore = h.agent.httpRequests.length;
  const conversation = h.agent.nextConversation(15_000).then(() => performance.now());
  const call = await simulateInboundCall({
    bridgeUrl: h.bridgeUrl, authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, from: '+15550001111', to: '+15550002222',
  });
  const stream = call.stream!;
  const firstMedia = await stream.recorder.waitFor((r) => r.event === 'media', 15_000);
  const startedAt = stream.originMs!; // `start` is sent as the socket opens
  const signedUrl = h.agent.httpRequests.slice(requestsBefore).find((r) => r.path === SIGNED_URL_PATH);
  expect(signedUrl, 'the bridge asked for a signed URL').toBeDefined();
  const result = { firstWordsMs: firstMedia.atMs, signedUrlRequestMs: signedUrl!.at - startedAt, conversationMs: (await conversation) - startedAt };
  await call.hangup();
  return result;
}

async function bridgeWithDelayedAgent(env: Record<string, string>): Promise<Harness> {
  return startHarness(
    { requireAuth: true, mode: 'scripted', firstMessage: { text: 'Hello, how can I help?' }, firstMessageDelayMs: FIRST_MESSAGE_DELAY_MS },
    env, {}, {}, [], { networkDelay: { rttMs: RTT_MS } },
  );
}

describe('first words (agent service 80 ms away, first message after 300 ms)', () => {
  it('fetches the signed URL at the voice webhook, before the stream starts, and opens the conversation only after it', async () => {
    harness = await bridgeWithDelayedAgent({});
    const warm = await callAndMeasure(harness); // the pool's connection is set up by the first call
    const m = await callAndMeasure(harness);
    console.log(`first words with prefetch: ${m.firstWordsMs.toFixed(0)} ms (first call, cold connection: ${warm.firstWordsMs.toFixed(0)} ms); ` +
      `signed URL requested ${(-m.signedUrlRequestMs).toFixed(0)} ms before the stream start`);
    for (const r of [warm, m]) {
      expect(r.signedUrlRequestMs).toBeLessThan(0);
      expect(r.conversationMs).toBeGreaterThan(0);
    }
    // The floor: WebSocket set-up (TCP + TLS + upgrade = 3 round trips) and the agent's own delay.
    expect(m.firstWordsMs).toBeGreaterThanOrEqual(3 * RTT_MS + FIRST_MESSAGE_DELAY_MS);
    // One signed URL per conversation (§4.1), none fetched a second time at stream start.
    expect(harness.agent.httpRequests.filter((r) => r.path === SIGNED_URL_PATH)).toHaveLength(2);
  });

  it('without prefetch (AGENT_PREFETCH_SIGNED_URL=false) the signed URL is fetched after the stream starts', async () => {
    harness = await bridgeWithDelayedAgent({ AGENT_PREFETCH_SIGNED_URL: 'false' });
    const r = await callAndMeasure(harness);
    console.log(`first words, signed URL fetched at stream start: ${r.firstWordsMs.toFixed(0)} ms`);
    expect(r.signedUrlRequestMs).toBeGreaterThanOrEqual(0);
    expect(r.firstWordsMs).toBeGreaterThanOrEqual(4 * RTT_MS + FIRST_MESSAGE_DELAY_MS);
  });
});
