/**
 * The outcome mapping is total: every EndReason × every provider status
 * (and none) × AMD result gives a recipient status, with the rules the
 * operator expects; every reason maps to a SIP status and a Twilio action.
 */
import { describe, expect, it } from 'vitest';
import { END_REASONS, mapEndReason, type EndReason } from '../../src/call/end-reason.js';
import { recipientStatusForCall } from '../../src/campaigns/outcome-map.js';
import { FINAL_CALL_STATUSES, RECIPIENT_STATUSES } from '../../src/store/schema.js';

const BOT_FAILURES: ReadonlySet<EndReason> = new Set(['media-timeout', 'agent-failed', 'rejected', 'shutdown', 'error', 'dial-failed', 'lost']);

describe('outcome mapping over every end reason and provider status', () => {
  it('every reason maps to a SIP status, a Twilio action and a campaign outcome', () => {
    for (const reason of END_REASONS) {
      const m = mapEndReason(reason);
      expect(m, reason).toBeDefined();
      expect(m.sipStatus >= 300 && m.sipStatus < 700, reason).toBe(true);
      expect(['hangup', 'continue']).toContain(m.twilioAction);
      expect(['completed', 'failed', 'transferred', 'cancelled']).toContain(m.campaignOutcome);
    }
    expect(mapEndReason('api-hangup').campaignOutcome).toBe('completed');
  });

  it(`${END_REASONS.length} reasons × ${FINAL_CALL_STATUSES.length} statuses × 4 AMD results: a recipient status, by the rules`, () => {
    let cells = 0;
    for (const reason of [...END_REASONS, undefined]) {
      for (const status of FINAL_CALL_STATUSES) {
        for (const answeredBy of [undefined, 'human', 'machine_end_beep', 'fax']) {
          const out = recipientStatusForCall(status, answeredBy, reason);
          cells++;
          expect(RECIPIENT_STATUSES).toContain(out);
          const expected =
            status === 'canceled' ? 'cancelled'
            : status !== 'completed' ? status
            : answeredBy === 'machine_end_beep' ? 'voicemail'
            : answeredBy === 'fax' ? 'failed'
            : reason && BOT_FAILURES.has(reason) ? 'failed'
            : 'completed';
          expect(out, `${reason}/${status}/${answeredBy}`).toBe(expected);
        }
      }
    }
    expect(cells).toBe((END_REASONS.length + 1) * 5 * 4);
  });

  it('a reason from an older version (not in the union) does not throw', () => {
    expect(recipientStatusForCall('completed', undefined, 'completed')).toBe('completed');
  });
});
