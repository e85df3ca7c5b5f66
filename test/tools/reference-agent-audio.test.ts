/**
 * Reference agent: agent speech, echo, pings, interruptions, end_call and client
 * tools, over real sockets (protocols.md §4.3–4.5, §6.3–6.4).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mulawToPcm, pcmToMulaw } from '../../media/g711.js';
import { startReferenceAgent, type ReferenceAgent } from '../../tools/reference-agent/reference-agent.js';
import type { ReferenceAgentConfig } from '../../tools/reference-agent/types.js';
import { toneAmplitude, toneInt16 } from '../support/signal.js';
import { AgentClient, type ServerEvent } from './reference-agent-client.js';
import { eventLoopDelay } from '../support/wait.js';

let agent: ReferenceAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

/** Starts a server with one public agent `a` and one client that finished the handshake. */
async function session(config: Partial<ReferenceAgentConfig> = {}) {
  agent = await startReferenceAgent({ agents: [{ agentId: 'a', requireAuth: false, ...config }] });
  const client = await AgentClient.start(`${agent.url.replace('http', 'ws')}/v1/convai/conversation?agent_id=a`);
  return { client, conversation: agent.conversations[0]!, server: agent };
}

const pcm16 = (bytes: Buffer) => {
  const out = new Int16Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
};
const concat = (parts: Buffer[]) => Buffer.concat(parts);
const eventId = (e: ServerEvent): number | undefined =>
  e.audio_event?.event_id ?? e.ping_event?.event_id ?? e.interruption_event?.event_id ?? e.agent_response_event?.event_id;

describe('agent speech', () => {
  it('sends the first message as agent_response then odd-sized, increasing-id audio, faster than real time', async () => {
    const tone = toneInt16(440, 16000, 1, 8000);
    const lag = eventLoopDelay();
    const { client } = await session({ firstMessage: { text: 'Hello there', audio: { pcm: tone, sampleRate: 16000 } } });
    await client.until(() => concat(client.audioBytes()).length === tone.length * 2);
    expect(client.events[1]).toMatchObject({ type: 'agent_response', agent_response_event: { agent_response: 'Hello there' } });
    const audio = client.ofType('audio');
    const ids = audio.map((e) => e.audio_event.event_id as number);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBeGreaterThan(client.events[1]!.agent_response_event.event_id);
    const samples = client.audioBytes().map((b) => b.length / 2);
    expect(samples.length).toBeGreaterThan(3);
    for (const n of samples.slice(0, -1)) {
      expect(n % 320).not.toBe(0); // never whole 20 ms frames
      expect(n).toBeGreaterThanOrEqual(800); // ≥ 50 ms
      expect(n).toBeLessThanOrEqual(4000 + 320); // ≤ 250 ms (+ alignment nudge)
    }
    expect(new Set(samples).size).toBeGreaterThan(2); // sizes vary
    expect(pcm16(concat(client.audioBytes()))).toEqual(tone); // same rate: bit exact
    const spread = client.arrivals.at(-1)! - client.arrivals[2]!;
    expect(spread).toBeGreaterThan(50); // paced, not one blob…
    // …but well ahead of the 1 s of audio (about 250 ms at speed 4), later only by this loop's stalls.
    expect(spread).toBeLessThan(600 + lag.stop().stalledMs);
  });

  it('converts the first message to ulaw_8000 and keeps the tone', async () => {
    const { client } = await session({
      outputFormat: 'ulaw_8000',
      firstMessage: { text: 'Hi', audio: { pcm: toneInt16(440, 24000, 0.5, 8000), sampleRate: 24000 } },
      speech: { speed: Infinity },
    });
    await client.until(() => concat(client.audioBytes()).length >= 3999);
    const ulaw = concat(client.audioBytes());
    expect(ulaw.length).toBe(4000);
    const decoded = new Int16Array(ulaw.length);
    mulawToPcm(ulaw, decoded);
    expect(toneAmplitude(decoded, 440, 8000)).toBeCloseTo(8000, -3);
  });
});

describe('echo mode', () => {
  it('returns each user chunk as one audio event, byte for byte, and records what it heard', async () => {
    const { client, conversation } = await session({ inputFormat: 'ulaw_8000', outputFormat: 'ulaw_8000' });
    const tone = toneInt16(300, 8000, 0.2, 6000);
    const ulaw = new Uint8Array(tone.length);
    pcmToMulaw(tone, ulaw);
    for (let i = 0; i < ulaw.length; i += 160) client.sendAudio(ulaw.subarray(i, i + 160));
    await client.until(() => client.ofType('audio').length === 10);
    expect(concat(client.audioBytes())).toEqual(Buffer.from(ulaw));
    expect(conversation.userAudio.durationMs).toBe(200);
    const expected = new Int16Array(ulaw.length);
    mulawToPcm(ulaw, expected); // media/g711 as an outside check of the agent's decoder
    expect(conversation.userAudio.pcm()).toEqual(expected);
    const at = conversation.userAudio.chunks.map((c) => c.at);
    expect(at).toEqual([...at].sort((x, y) => x - y));
  });

  it('converts ulaw_8000 input to pcm_16000 output', async () => {
    const { client } = await session({ inputFormat: 'ulaw_8000', outputFormat: 'pcm_16000' });
    const ulaw = new Uint8Array(8000);
    pcmToMulaw(toneInt16(440, 8000, 1, 8000), ulaw);
    for (let i = 0; i < ulaw.length; i += 160) client.sendAudio(ulaw.subarray(i, i + 160));
    await client.until(() => client.ofType('audio').length === 50);
    const out = pcm16(concat(client.audioBytes()));
    expect(Math.abs(out.length - 16000)).toBeLessThanOrEqual(2);
    expect(toneAmplitude(out, 440, 16000)).toBeCloseTo(8000, -3);
  });

  it('counts but does not keep audio when recordUserAudio is false', async () => {
    const { client, conversation } = await session({ recordUserAudio: false });
    client.sendAudio(new Uint8Array(640));
    await client.next('audio');
    expect(conversation.userAudio.durationMs).toBe(20);
    expect(conversation.userAudio.pcm()).toHaveLength(0);
  });
});

describe('pings', () => {
  it('sends pings with increasing ids and ping_ms, and records matched and unmatched pongs', async () => {
    const { client, conversation } = await session({ pingIntervalMs: 15 });
    client.autoPong();
    await conversation.waitFor(() => conversation.pongs.length >= 3);
    client.send({ type: 'pong', event_id: 999_999 });
    await conversation.waitFor(() => conversation.pongs.some((p) => !p.matched));
    const pings = client.ofType('ping');
    const ids = pings.map((p) => p.ping_event.event_id as number);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(pings[0]!.ping_event.ping_ms).toBeNull();
    await client.until(() => typeof client.ofType('ping').at(-1)!.ping_event.ping_ms === 'number');
    expect(conversation.pongs.slice(0, 3).every((p) => p.matched && p.rttMs! >= 0)).toBe(true);
    expect(conversation.pongs.at(-1)).toMatchObject({ eventId: 999_999, matched: false });
  });
});

describe('interruption (§4.5)', () => {
  const long = { text: 'A long story', audio: { pcm: toneInt16(440, 16000, 3, 8000), sampleRate: 16000 } };

  it('stops speaking, sends an interruption with a higher id, and later audio has higher ids still', async () => {
    const { client, conversation } = await session({ firstMessage: long, speech: { speed: 2 }, pingIntervalMs: 20 });
    await client.until(() => client.ofType('audio').length >= 2);
    const interruptionId = conversation.interrupt();
    const before = client.events.length;
    const interruption = await client.next('interruption');
    expect(interruption.interruption_event.event_id).toBe(interruptionId);
    const idsBefore = client.events.slice(0, before).map(eventId).filter((x) => x !== undefined);
    expect(Math.max(...idsBefore)).toBeLessThan(interruptionId);
    expect(conversation.speaking).toBe(false);
    // A speaker that kept going would send its next chunk within the longest chunk (250 ms) / speed (2)
    // of the interruption. Pings come every 20 ms on the same socket: the second one sent after that
    // (its timer due after any such chunk's) arrives after it.
    const quietUntil = performance.now() + 250 / 2;
    const sentAt = (id: number) => conversation.sent.find((s) => s.type === 'ping' && s.eventId === id)?.at ?? 0;
    await client.until(() => client.ofType('ping').filter((p) => sentAt(p.ping_event.event_id) > quietUntil).length >= 2);
    const audioAfter = client.events.slice(before).filter((e) => e.type === 'audio');
    expect(audioAfter).toHaveLength(0); // the long story stopped
    await conversation.say({ text: 'Go ahead' });
    const all = client.events.map(eventId).filter((x) => x !== undefined);
    expect(all).toEqual([...all].sort((x, y) => x - y)); // one counter across audio/ping/interruption
    expect(client.ofType('audio').at(-1)!.audio_event.event_id).toBeGreaterThan(interruptionId);
  });

  it('can deliver stale audio (older ids) right after the interruption', async () => {
    const { client, conversation } = await session({ firstMessage: long, speech: { speed: 2 }, sendStaleAudioAfterInterrupt: 2 });
    await client.until(() => client.ofType('audio').length >= 1);
    const interruptionId = conversation.interrupt();
    await client.until((events) => events.at(-1)?.type === 'audio' && events.at(-2)?.type === 'audio' && events.at(-3)?.type === 'interruption');
    const stale = client.ofType('audio').slice(-2).map((e) => e.audio_event.event_id as number);
    expect(stale.every((id) => id < interruptionId)).toBe(true);
    expect(conversation.sent.filter((s) => s.stale).map((s) => s.eventId)).toEqual(stale);
    expect(conversation.interrupt({ staleAudio: 0 })).toBeGreaterThan(interruptionId);
  });

  it('sends agent_response_correction and user_transcript', async () => {
    const { client, conversation } = await session();
    conversation.sendUserTranscript('wait, stop');
    conversation.sendAgentResponseCorrection('Let me tell you about everything', 'Let me tell you');
    expect((await client.nth('user_transcript', 0)).user_transcription_event.user_transcript).toBe('wait, stop');
    expect((await client.nth('agent_response_correction', 0)).agent_response_correction_event).toMatchObject({
      original_agent_response: 'Let me tell you about everything',
      corrected_agent_response: 'Let me tell you',
    });
  });
});

describe('end_call (§6.3)', () => {
  const endCallEvent = { type: 'agent_tool_response', agent_tool_response: { tool_name: 'end_call', tool_type: 'system', is_error: false } };

  it('reports end_call and keeps the socket open when no close is asked for', async () => {
    const { client, conversation } = await session();
    await conversation.endCall();
    const event = await client.nth('agent_tool_response', 0);
    expect(event).toMatchObject(endCallEvent);
    expect(event.agent_tool_response.tool_call_id).toMatch(/^end_call_/);
    // Still open after a round trip that follows the tool response: the agent hears the client.
    client.send({ type: 'user_activity' });
    await conversation.waitFor(() => conversation.userActivity.length === 1);
    expect(conversation.isOpen).toBe(true);
  });

  it('closes with 1000 at once after the tool response', async () => {
    const { client, conversation } = await session();
    await conversation.endCall({ closeAfterMs: 0 });
    expect(await client.closed).toEqual({ code: 1000, reason: 'end_call' });
    expect(client.events.at(-1)).toMatchObject(endCallEvent);
  });

  it('says the farewell first, then closes after the delay', async () => {
    const { client, conversation } = await session({ speech: { speed: Infinity } });
    await conversation.endCall({ closeAfterMs: 150, farewell: { text: 'Goodbye' } });
    await client.nth('agent_tool_response', 0);
    const toolAt = client.arrivals[client.events.findIndex((e) => e.type === 'agent_tool_response')]!;
    await client.closed;
    expect(performance.now() - toolAt).toBeGreaterThanOrEqual(140);
    expect(client.events.map((e) => e.type).slice(1, 3)).toEqual(['agent_response', 'audio']);
    expect(client.events.at(-1)).toMatchObject(endCallEvent);
  });
});

describe('client tools (§6.4)', () => {
  it('round-trips client_tool_call and client_tool_result', async () => {
    const { client, conversation } = await session();
    const pending = conversation.clientToolCall('transfer_call', { destination: '+15551234567' });
    const call = await client.next('client_tool_call');
    expect(call.client_tool_call).toMatchObject({ tool_name: 'transfer_call', parameters: { destination: '+15551234567' } });
    client.send({ type: 'client_tool_result', tool_call_id: call.client_tool_call.tool_call_id, result: 'transferring', is_error: false });
    expect(await pending).toMatchObject({ toolName: 'transfer_call', result: 'transferring', isError: false });
    expect(conversation.toolResults).toHaveLength(1);
  });

  it('times out, and notes results for unknown calls without closing', async () => {
    const { client, conversation } = await session();
    await expect(conversation.clientToolCall('slow', {}, 50)).rejects.toThrow(/no result within 50 ms/);
    client.send({ type: 'client_tool_result', tool_call_id: 'nope', result: '', is_error: true });
    await conversation.waitFor(() => conversation.violations.length === 1);
    expect(conversation.violations[0]).toMatchObject({ fatal: false });
    expect(conversation.isOpen).toBe(true);
  });
});

describe('scripted mode', () => {
  it('replies after N ms of user audio, does not echo, and waits for replyNext() otherwise', async () => {
    const { client, conversation } = await session({
      mode: 'scripted',
      speech: { speed: Infinity },
      replies: [
        { afterUserAudioMs: 200, userTranscript: 'hello?', text: 'Hi, how can I help?' },
        { text: 'Bye', endCall: { closeAfterMs: 0 } },
      ],
    });
    for (let i = 0; i < 9; i++) client.sendAudio(new Uint8Array(640));
    await conversation.waitFor(() => conversation.userAudio.durationMs === 180);
    expect(client.ofType('agent_response')).toHaveLength(0);
    client.sendAudio(new Uint8Array(640));
    const reply = await client.nth('agent_response', 0);
    expect(reply.agent_response_event.agent_response).toBe('Hi, how can I help?');
    expect(client.events.map((e) => e.type).slice(1, 3)).toEqual(['user_transcript', 'agent_response']);
    for (let i = 0; i < 20; i++) client.sendAudio(new Uint8Array(640));
    await conversation.waitFor(() => conversation.userAudio.durationMs === 600);
    expect(client.ofType('agent_response')).toHaveLength(1);
    expect(await conversation.replyNext()).toBe(true);
    expect((await client.closed).code).toBe(1000);
    expect(client.ofType('agent_tool_response')).toHaveLength(1);
  });

  it('records contextual updates, user messages, user activity and feedback', async () => {
    const { client, conversation } = await session({ mode: 'scripted' });
    client.send({ type: 'contextual_update', text: 'caller is on page 2' });
    client.send({ type: 'user_message', text: 'I want a refund' });
    client.send({ type: 'user_activity' });
    client.send({ type: 'feedback', score: 'like', event_id: 1 });
    await conversation.waitFor(() => conversation.feedback.length === 1);
    expect(conversation.contextualUpdates).toEqual(['caller is on page 2']);
    expect(conversation.userMessages).toEqual(['I want a refund']);
    expect(conversation.userActivity).toHaveLength(1);
    expect(conversation.violations).toEqual([]);
  });
});
