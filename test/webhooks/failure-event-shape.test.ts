/**
 * call_initiation_failure for the ends no Twilio callback describes, through
 * the real store and the real post-call hook (SQLite): a REST create Twilio
 * refused, and a SIP INVITE that failed. ElevenLabs' documented bodies:
 * Twilio "StatusCallback body" fields; SIP `from_number`, `to_number`,
 * `sip_status_code`, `error_reason`, `call_sid`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { postCallHook } from '../../src/webhooks/post-call-hook.js';

let store: Store;
beforeEach(async () => {
  store = await openStore({ dataDir: mkdtempSync(join(tmpdir(), 'failure-event-')) });
  store.calls.onEnd(postCallHook({ publicUrl: 'http://bridge.test', analysisWaitMs: 60_000 }));
});
afterEach(async () => {
  await store.close();
});

async function eventOf(callId: string): Promise<{ type: string; data: Record<string, any> }> {
  const rows = await store.outbox.list({ callId });
  expect(rows).toHaveLength(1);
  expect(rows[0]!.enrichUntil).toBeNull(); // nothing to wait for: there is no conversation
  return JSON.parse(rows[0]!.body) as { type: string; data: Record<string, any> };
}

describe('call_initiation_failure without a status callback', () => {
  it('a REST create Twilio refused: Twilio-named body fields from the record, failure_reason unknown', async () => {
    await store.calls.insert({ id: 'refused', direction: 'outbound', provider: 'twilio', fromNumber: '+14155550100', toNumber: '+14155550199', agentId: 'agent_x', status: 'queued', campaignId: null });
    await store.calls.end('refused', { reason: 'dial-failed', providerStatus: 'failed', errorCode: '21215' });
    const { type, data } = await eventOf('refused');
    expect(type).toBe('call_initiation_failure');
    expect(data.failure_reason).toBe('unknown');
    expect(data.metadata).toEqual({
      type: 'twilio',
      body: { CallStatus: 'failed', Direction: 'outbound-api', CallDuration: '0', To: '+14155550199', Called: '+14155550199', From: '+14155550100', Caller: '+14155550100', ErrorCode: '21215' },
    });
    expect(data.bridge).toMatchObject({ call_id: 'refused', status: 'failed', end_reason: 'dial-failed' });
  });

  it('a SIP INVITE answered 486: the SIP body with its status code and reason', async () => {
    await store.calls.insert({ id: 'sip-busy', direction: 'outbound', provider: 'sip', fromNumber: '+14155550100', toNumber: '+14155550198', agentId: 'agent_x', status: 'queued' });
    await store.calls.end('sip-busy', { reason: 'provider-ended', providerStatus: 'busy', metadata: { sipFailure: { statusCode: 486, reason: 'Busy Here' } } });
    const { data } = await eventOf('sip-busy');
    expect(data.failure_reason).toBe('busy');
    expect(data.metadata).toEqual({
      type: 'sip',
      body: { from_number: '+14155550100', to_number: '+14155550198', sip_status_code: 486, error_reason: 'Busy Here', call_sid: 'sip-busy' },
    });
  });

  it('an inbound call that ended unanswered is a transcription, not an initiation failure', async () => {
    await store.calls.insert({ id: 'inbound', direction: 'inbound', provider: 'twilio', fromNumber: '+14155550197', toNumber: '+14155550100', agentId: 'agent_x', status: 'ringing' });
    await store.calls.end('inbound', { reason: 'caller-hangup', providerStatus: 'canceled' });
    expect((await eventOf('inbound')).type).toBe('post_call_transcription');
  });
});
