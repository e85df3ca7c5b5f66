import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueStreamToken, verifyStreamToken } from '../../src/twilio/stream-token.js';

const secret = randomBytes(32);
const callSid = 'CA' + '1'.repeat(32);
const params = { agentId: 'agent-1', from: '+15550001111', to: '+15550002222' };

describe('stream token', () => {
  const now = 1_700_000_000_000;
  const token = issueStreamToken(secret, { callSid, params }, 60, now);
  const withToken = { ...params, streamToken: token };

  it('accepts the token for the same call and parameters within its lifetime', () => {
    expect(verifyStreamToken(secret, token, { callSid, params: withToken }, now + 59_000)).toEqual({ ok: true });
  });

  it('rejects another call, altered parameters, another key, expiry, garbage', () => {
    expect(verifyStreamToken(secret, token, { callSid: 'CA' + '2'.repeat(32), params: withToken }, now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyStreamToken(secret, token, { callSid, params: { ...withToken, agentId: 'other' } }, now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyStreamToken(randomBytes(32), token, { callSid, params: withToken }, now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyStreamToken(secret, token, { callSid, params: withToken }, now + 61_000)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyStreamToken(secret, 'v1.abc', { callSid, params: withToken }, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyStreamToken(secret, undefined, { callSid, params: withToken }, now)).toEqual({ ok: false, reason: 'missing' });
  });
});
