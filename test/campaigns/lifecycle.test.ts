import { afterEach, describe, expect, it } from 'vitest';
import { engines } from '../store/engines.js';
import { openHarness, type Harness } from './support/harness.js';

const all = await engines();

describe.each(all)('recipient and campaign lifecycle on $name', (engine) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });
  const open = async () => (h = await openHarness(engine));

  it.skipIf(engine.skip)('retries busy and no-answer after the delay until the attempt cap, then keeps the outcome', async () => {
    const t = await open();
    const id = await t.campaign('retry', { maxAttempts: 3, retryDelaySeconds: 600 }, ['+33612340001']);
    expect(await t.tick()).toBe(1);
    await t.report(0, 'ringing');
    await t.report(0, 'busy');
    let r = await t.store.recipients.findByPhone(id, '+33612340001');
    expect([r!.status, r!.attempts, r!.nextAttemptAt, r!.outcome?.lastResult]).toEqual(['pending', 1, t.clock.now() + 600_000, 'busy']);
    t.clock.advance(599_999);
    expect(await t.tick()).toBe(0);
    t.clock.advance(1);
    expect(await t.tick()).toBe(1);
    await t.report(1, 'no-answer');
    t.clock.advance(600_000);
    expect(await t.tick()).toBe(1);
    await t.report(0, 'completed'); // a late event of attempt 1 changes nothing
    await t.report(2, 'no-answer');
    r = await t.store.recipients.findByPhone(id, '+33612340001');
    expect([r!.status, r!.attempts]).toEqual(['no-answer', 3]);
    t.clock.advance(3600_000);
    expect(await t.tick()).toBe(0);
    expect(t.dialer.to('+33612340001')).toHaveLength(3);
    const view = await t.service.status(id);
    expect([view.status, view.progress.done, view.progress.ratio]).toEqual(['completed', 1, 1]);
  });

  it.skipIf(engine.skip)('maps answers: human → completed, machine → voicemail, fax and dial errors → failed', async () => {
    const t = await open();
    const id = await t.campaign('amd', { machineDetection: 'detect', machinePolicy: { action: 'leave-message', messageAudio: 'prompts/vm.wav' } }, ['+33612340011', '+33612340012', '+33612340013', '+33612340014']);
    t.dialer.failNext = 1;
    expect(await t.tick()).toBe(4);
    expect(t.dialer.dials).toHaveLength(3);
    expect(t.dialer.dials[0]).toMatchObject({ machineDetection: 'detect', policy: { answeringMachine: { action: 'leave-message', messageAudio: 'prompts/vm.wav' } }, agentId: 'agent_1' });
    await t.report(0, 'in-progress', 'human');
    await t.report(0, 'completed');
    await t.report(1, 'in-progress', 'machine_start'); // AnsweredBy stored, final event without it
    await t.report(1, 'completed');
    await t.report(2, 'completed', 'fax');
    const view = await t.service.status(id);
    expect(view.counts).toMatchObject({ completed: 1, voicemail: 1, failed: 2, pending: 0 });
    expect(view.status).toBe('completed');
    const failedDial = (await t.service.recipients(id, { status: ['failed'] })).find((r) => r.outcome?.error);
    expect([failedDial!.outcome!.error, failedDial!.attempts]).toEqual(['provider refused the call', 1]);
  });

  it.skipIf(engine.skip)('cancel: pending recipients cancelled at once, calls in progress finish, nothing more is dialled', async () => {
    const t = await open();
    const numbers = Array.from({ length: 5 }, (_, i) => `+3361234002${i}`);
    const id = await t.campaign('cancel', { maxAttempts: 2, retryDelaySeconds: 0 }, numbers);
    await t.dispatcher.tick(); // CPS 1000: all five at once; cap 70
    await t.dispatcher.settled();
    await t.service.cancel(id);
    await t.report(0, 'completed');
    await t.report(1, 'busy'); // would be retried, but the campaign is cancelled
    const view = await t.service.status(id);
    expect(view.status).toBe('cancelled');
    expect(view.counts).toMatchObject({ completed: 1, busy: 1, dialing: 3 });
    const id2 = await t.campaign('cancel-pending', {}, ['+33612340031', '+33612340032']);
    await t.service.pause(id2);
    const cancelled = await t.service.cancel(id2);
    expect(cancelled.counts.cancelled).toBe(2);
    expect(await t.tick()).toBe(0);
    await expect(t.service.resume(id2)).rejects.toMatchObject({ code: 'invalid_state', httpStatus: 409 });
  });

  it.skipIf(engine.skip)('pause stops new dials, resume continues; manual retry requeues chosen outcomes with attempts kept', async () => {
    const t = await open();
    const id = await t.campaign('pause', {}, ['+33612340041', '+33612340042']);
    await t.service.pause(id);
    expect(await t.tick()).toBe(0);
    await t.service.resume(id);
    expect(await t.tick()).toBe(2);
    await t.report(0, 'no-answer');
    await t.report(1, 'completed', 'machine_end_beep');
    expect((await t.service.status(id)).status).toBe('completed');
    const { requeued, campaign } = await t.service.retry(id, ['no-answer']);
    expect([requeued, campaign.status, campaign.counts.pending, campaign.counts.voicemail]).toEqual([1, 'running', 1, 1]);
    expect(await t.tick()).toBe(1);
    const r = await t.store.recipients.findByPhone(id, '+33612340041');
    expect([r!.status, r!.attempts]).toEqual(['dialing', 2]);
  });
});
