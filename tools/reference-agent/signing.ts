/**
 * Conversation signatures for signed URLs.
 *
 * protocols.md §4.1: `get-signed-url` returns a URL carrying `conversation_signature`;
 * it is valid for 15 minutes, the conversation must *start* in that window, and an
 * expired URL fails. The real token is opaque; ours is `<expiresAtMs>.<hmac>` in
 * base64url, where the HMAC covers agent id and expiry so a signature for one agent
 * cannot open another.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNED_URL_TTL_MS = 15 * 60 * 1000;

export type SignatureCheck = 'ok' | 'malformed' | 'bad_signature' | 'expired';

export class ConversationSigner {
  private readonly secret = randomBytes(32);

  constructor(private readonly ttlMs = SIGNED_URL_TTL_MS) {}

  sign(agentId: string, now = Date.now()): string {
    const expiresAt = now + this.ttlMs;
    const token = `${expiresAt}.${this.mac(agentId, expiresAt).toString('hex')}`;
    return Buffer.from(token).toString('base64url');
  }

  verify(agentId: string, signature: string, now = Date.now()): SignatureCheck {
    const [expiry, hex, ...rest] = Buffer.from(signature, 'base64url').toString().split('.');
    const expiresAt = Number(expiry);
    if (rest.length || !hex || !/^[0-9a-f]{64}$/.test(hex) || !Number.isSafeInteger(expiresAt)) {
      return 'malformed';
    }
    // Constant-time compare: the signature is a credential.
    if (!timingSafeEqual(Buffer.from(hex, 'hex'), this.mac(agentId, expiresAt))) return 'bad_signature';
    return now > expiresAt ? 'expired' : 'ok';
  }

  private mac(agentId: string, expiresAt: number): Buffer {
    return createHmac('sha256', this.secret).update(`${agentId}\n${expiresAt}`).digest();
  }
}
