import { createHmac } from 'node:crypto';

/**
 * `ElevenLabs-Signature: t=<unix s>,v0=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
 * (protocols.md §4.10; ElevenLabs post-call webhook docs). Receivers verify
 * with the same recipe and reject `t` older than 30 minutes, so each attempt
 * is signed afresh.
 */
export function elevenLabsSignature(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const hex = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v0=${hex}`;
}
