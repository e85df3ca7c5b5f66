import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { engines } from './engines.js';

const all = await engines();

describe.each(all)('repositories on $name', (engine) => {
  let open: Awaited<ReturnType<Engine['open']>> | undefined;
  type Engine = typeof engine;
  let clock = 1_700_000_000_000;
  const now = () => clock;

  async function fresh(): Promise<Store> {
    open = await engine.open({ now });
    return open.store;
  }
  afterEach(async () => {
    await open?.cleanup();
    open = undefined;
  });

  describe.skipIf(engine.skip)(`CallRecords ${engine.skip ?? ''}`, () => {
    it('media security (migration 002): null until set; transport, srtp flag and suite read back', async () => {
      const { calls } = await fresh();
      await calls.insert({ id: 'm1', direction: 'inbound', provider: 'sip', providerCallId: 'm1@host' });
      await calls.insert({ id: 'm2', direction: 'outbound', provider: 'sip' });
      expect((await calls.get('m1'))?.media).toBeNull();
      expect(await calls.setMediaSecurity('m1', { transport: 'tls', srtp: true, suite: 'AES_CM_128_HMAC_SHA1_80' })).toBe(true);
      expect(await calls.setMediaSecurity('m2', { transport: 'udp', srtp: false, suite: null })).toBe(true);
      expect(await calls.setMediaSecurity('nope', { transport: 'udp', srtp: false, suite: null })).toBe(false);
      expect((await calls.get('m1'))?.media).toEqual({ transport: 'tls', srtp: true, suite: 'AES_CM_128_HMAC_SHA1_80' });
      expect((await calls.getByProviderCallId('sip', 'm1@host'))?.media?.srtp).toBe(true);
      expect((await calls.get('m2'))?.media).toEqual({ transport: 'udp', srtp: false, suite: null });
    });

    it('inserts, answers once, ends once with reason and transcript, lists active', async () => {
      const { calls } = await fresh();
      const inserted = await calls.insert({ id: 'c1', direction: 'outbound', provider: 'twilio', toNumber: '+14155550100', metadata: { a: 1 } });
      expect(inserted).toMatchObject({ id: 'c1', status: 'queued', createdAt: clock, answeredAt: null, metadata: { a: 1 }, transcript: null });
      await calls.insert({ id: 'c2', direction: 'inbound', provider: 'sip', providerCallId: 'sip-call-id@host', status: 'ringing' });
      expect(await calls.setProviderCallId('c1', 'CA123')).toBe(true);
      expect((await calls.getByProviderCallId('twilio', 'CA123'))?.id).toBe('c1');

      expect(await calls.markAnswered('c1', clock + 1000)).toBe(true);
      expect(await calls.markAnswered('c1', clock + 9999)).toBe(false);
      const transcript = [{ role: 'agent', text: 'Hé, ça va? €5', at: 1 }, { role: 'user', text: 'yes' }];
      expect(await calls.end('c1', { reason: 'agent-ended', transcript, at: clock + 5000 })).toBe(true);
      expect(await calls.end('c1', { reason: 'provider-ended', providerStatus: 'failed' })).toBe(false);
      expect(await calls.updateStatus('c1', 'in-progress')).toBe(false);

      expect(await calls.get('c1')).toMatchObject({
        status: 'completed', state: 'ended', providerStatus: null, answeredAt: clock + 1000, endedAt: clock + 5000, endReason: 'agent-ended', transcript, providerCallId: 'CA123',
      });
      expect((await calls.listActive()).map((c) => c.id)).toEqual(['c2']);
      expect(await calls.get('missing')).toBeUndefined();
    });

    it('rejects a second call with the same provider call id and an unknown direction', async () => {
      const { calls } = await fresh();
      await calls.insert({ id: 'a', direction: 'inbound', provider: 'twilio', providerCallId: 'CA1' });
      await expect(calls.insert({ id: 'b', direction: 'inbound', provider: 'twilio', providerCallId: 'CA1' })).rejects.toThrow();
      await calls.insert({ id: 'c', direction: 'inbound', provider: 'sip', providerCallId: 'CA1' });
      // @ts-expect-error the CHECK constraint is what is being tested
      await expect(calls.insert({ id: 'd', direction: 'sideways', provider: 'sip' })).rejects.toThrow();
    });
  });

  describe.skipIf(engine.skip)(`Campaigns and Recipients ${engine.skip ?? ''}`, () => {
    const recipients = (n: number, offset = 0) =>
      Array.from({ length: n }, (_, i) => ({
        rowNumber: i + 2,
        phoneNumber: `+1415${String(2_000_000 + offset + i).padStart(7, '0')}`,
        variables: { name: `Name ${i}`, n: i, vip: i % 2 === 0 },
        overrides: i === 0 ? { agent: { language: 'fr' }, tts: { voice_id: 'v1' } } : null,
        timezone: i === 0 ? 'America/Los_Angeles' : null,
      }));

    it('creates a campaign with 12k recipients across several insert chunks', async () => {
      const store = await fresh();
      const created = await store.campaigns.create(
        { name: 'Spring', type: 'agent', agentId: 'agent_1', settings: { window: { start: '09:00', end: '20:00' }, maxAttempts: 3 } },
        recipients(12_000),
      );
      expect(created.recipientCount).toBe(12_000);
      expect(created.campaign).toMatchObject({ name: 'Spring', status: 'scheduled', agentId: 'agent_1', createdAt: clock, settings: { maxAttempts: 3 } });
      const progress = await store.recipients.progress(created.campaign.id);
      expect(progress).toMatchObject({ total: 12_000, remaining: 12_000, finished: 0, active: 0, ratio: 0 });
      expect(progress.byStatus.pending).toBe(12_000);
      const first = await store.recipients.findByPhone(created.campaign.id, '+14152000000');
      expect(first).toMatchObject({
        rowNumber: 2, variables: { name: 'Name 0', n: 0, vip: true }, overrides: { agent: { language: 'fr' }, tts: { voice_id: 'v1' } },
        timezone: 'America/Los_Angeles', status: 'pending', attempts: 0, nextAttemptAt: null, claimedBy: null, updatedAt: clock,
      });
      const last = await store.recipients.findByPhone(created.campaign.id, '+14152011999');
      expect(last).toMatchObject({ rowNumber: 12_001, overrides: null, timezone: null });
    });

    it('rolls the whole campaign back when a recipient is duplicated', async () => {
      const store = await fresh();
      const list = [...recipients(5000), recipients(1)[0]!];
      await expect(store.campaigns.create({ name: 'Dup', type: 'broadcast' }, list)).rejects.toThrow();
      expect(await store.campaigns.list()).toEqual([]);
    });

    it('marks do-not-call numbers skipped in the same transaction', async () => {
      const store = await fresh();
      await store.doNotCall.addMany([{ phoneNumber: '+14152000001' }, { phoneNumber: '+14152000003', reason: 'asked' }]);
      const { campaign, skippedDoNotCall } = await store.campaigns.create({ name: 'DNC', type: 'agent' }, recipients(5));
      expect(skippedDoNotCall).toBe(2);
      const counts = await store.recipients.countsByStatus(campaign.id);
      expect(counts).toMatchObject({ pending: 3, 'skipped-dnc': 2, completed: 0 });
      expect(await store.recipients.progress(campaign.id)).toMatchObject({ total: 5, finished: 2, remaining: 3, ratio: 0.4 });
    });

    it('pages recipients, filters by status and keeps campaigns apart', async () => {
      const store = await fresh();
      const a = (await store.campaigns.create({ name: 'A', type: 'agent' }, recipients(250))).campaign;
      const b = (await store.campaigns.create({ name: 'B', type: 'agent' }, recipients(3))).campaign;
      const page1 = await store.recipients.list(a.id, { limit: 100 });
      const page3 = await store.recipients.list(a.id, { limit: 100, afterId: (await store.recipients.list(a.id, { limit: 200 }))[199]!.id });
      expect(page1.map((r) => r.rowNumber).slice(0, 3)).toEqual([2, 3, 4]);
      expect(page3.map((r) => r.rowNumber)).toEqual(Array.from({ length: 50 }, (_, i) => 202 + i));
      expect((await store.recipients.countsByStatus(b.id)).pending).toBe(3);
      expect(await store.recipients.list(a.id, { status: ['completed'] })).toEqual([]);
      expect(await store.campaigns.addRecipients(b.id, recipients(2, 500))).toBe(2);
      expect((await store.recipients.progress(b.id)).total).toBe(5);
    });

    it('changes status compare-and-set and cascades deletes to recipients', async () => {
      const store = await fresh();
      const { campaign } = await store.campaigns.create({ name: 'S', type: 'agent' }, recipients(2));
      clock += 10;
      expect(await store.campaigns.setStatus(campaign.id, 'running', ['scheduled', 'paused'])).toBe(true);
      expect(await store.campaigns.setStatus(campaign.id, 'running', ['scheduled', 'paused'])).toBe(false);
      expect(await store.campaigns.get(campaign.id)).toMatchObject({ status: 'running', updatedAt: clock });
      expect((await store.campaigns.list({ status: ['running'] })).map((c) => c.id)).toEqual([campaign.id]);
      expect(await store.campaigns.updateSettings(campaign.id, { concurrencyShare: 0.7 })).toBe(true);
      expect((await store.campaigns.get(campaign.id))?.settings).toEqual({ concurrencyShare: 0.7 });
      const recipient = (await store.recipients.list(campaign.id))[0]!;
      await store.calls.insert({ id: 'call', direction: 'outbound', provider: 'sip', campaignId: campaign.id, recipientId: recipient.id });
      await store.database.db.deleteFrom('campaigns').where('id', '=', campaign.id).execute();
      expect(await store.recipients.get(recipient.id)).toBeUndefined();
      expect(await store.calls.get('call')).toMatchObject({ campaignId: null, recipientId: null });
    });
  });

  describe.skipIf(engine.skip)(`DoNotCall ${engine.skip ?? ''}`, () => {
    it('adds idempotently, checks in bulk, lists by page and removes', async () => {
      const { doNotCall } = await fresh();
      expect(await doNotCall.add('+14155550100', 'asked')).toBe(true);
      expect(await doNotCall.add('+14155550100', 'again')).toBe(false);
      const many = Array.from({ length: 40_000 }, (_, i) => ({ phoneNumber: `+4420${String(i).padStart(8, '0')}` }));
      expect(await doNotCall.addMany(many)).toBe(40_000);
      expect(await doNotCall.has('+14155550100')).toBe(true);
      expect(await doNotCall.has('+14155550199')).toBe(false);
      const probe = ['+14155550100', '+14155550199', '+442000000007', '+442000039999', '+442000040000'];
      expect([...(await doNotCall.listed([...probe, ...many.map((m) => m.phoneNumber)]))].length).toBe(40_001);
      expect(await doNotCall.listed(probe)).toEqual(new Set(['+14155550100', '+442000000007', '+442000039999']));
      expect(await doNotCall.list({ after: '+14', limit: 1 })).toEqual([{ phoneNumber: '+14155550100', reason: 'asked', createdAt: clock }]);
      expect(await doNotCall.remove('+14155550100')).toBe(true);
      expect(await doNotCall.remove('+14155550100')).toBe(false);
    });
  });
});
