/**
 * Post-call webhooks end to end: a real Twilio-simulated call through the
 * bridge and a real reference agent; the event reaches a receiver that
 * verifies ElevenLabs-Signature with its own code (ElevenLabs' recipe).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { API_TOKEN, startHarness, type Harness } from '../support/bridge-harness.js';
import { placeCall } from '../support/call-helpers.js';
import { toneInt16 } from '../support/signal.js';
import { startReceiver, verifyElevenLabsSignature, type Receiver } from './receiver.js';

const SECRET = 'whsec_test_0123456789';
let harness: Harness | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await harness?.close();
  await receiver?.close();
  harness = receiver = undefined;
});

describe('post-call webhook', () => {
  it('a finished Twilio call sends one signed post_call_transcription in ElevenLabs\' shape; a wrong secret is caught', async () => {
    receiver = await startReceiver({ secret: SECRET });
    harness = await startHarness({ mode: 'scripted' }, { POST_CALL_WEBHOOK_URL: receiver.url, POST_CALL_WEBHOOK_SECRET: SECRET });
    const { call, conv, ended } = await placeCall(harness);
    await conv.started;
    await conv.say({ text: 'Hello, how can I help you today?', audio: { pcm: toneInt16(440, 16000, 0.5, 8000), sampleRate: 16000 } });
    await call.hangup();
    const session = await ended;
    await receiver.waitFor((r) => r.accepted().length === 1);

    expect(receiver.rejectedSignatures).toEqual([]);
    const got = receiver.accepted()[0]!;
    expect(got.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    // The same bytes fail verification under another secret.
    expect(verifyElevenLabsSignature(got.signature, got.body, 'not-the-secret')).toBe('invalid signature');
    const { type, data, event_timestamp } = got.event;
    expect(type).toBe('post_call_transcription');
    expect(Math.abs(event_timestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(data.agent_id).toBe('agent_test');
    expect(data.conversation_id).toBe(conv.conversationId);
    expect(data.status).toBe('done');
    expect(data.transcript[0]).toMatchObject({ role: 'agent', message: 'Hello, how can I help you today?', tool_calls: [], tool_results: [] });
    expect(Number.isInteger(data.transcript[0].time_in_call_secs)).toBe(true);
    expect(data.metadata.phone_call).toEqual({
      direction: 'inbound', type: 'twilio', external_number: '+15550001111', agent_number: '+15550002222', call_sid: session.leg.providerCallId,
    });
    expect(data.metadata.batch_call).toBeNull();
    expect(data.metadata.termination_reason).toBe('caller-hangup');
    expect(data.metadata.call_duration_secs).toBeGreaterThanOrEqual(0);
    expect(data.conversation_initiation_client_data.dynamic_variables).toMatchObject({ caller_id: '+15550001111', called_number: '+15550002222' });
    expect(data.bridge).toMatchObject({ call_id: session.id, end_reason: 'caller-hangup', recording_url: null });

    // GET /calls/{id}: the stored transcript with time_in_call_secs.
    const res = await fetch(`${harness.bridgeUrl}/calls/${session.id}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const stored = (await res.json()) as { transcript: Array<{ role: string; message: string; time_in_call_secs: number }> };
    expect(stored.transcript[0]).toMatchObject({ role: 'agent', message: 'Hello, how can I help you today?' });
    expect(stored.transcript[0]!.time_in_call_secs).toBe(data.transcript[0].time_in_call_secs);
    // Nothing left to deliver.
    const list = await fetch(`${harness.bridgeUrl}/webhooks/deliveries`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(((await list.json()) as { deliveries: unknown[] }).deliveries).toEqual([]);
  });
});
