import { randomBytes } from 'node:crypto';

/**
 * Twilio SIDs are a two-letter type prefix plus 32 lowercase hex characters
 * (`CA…` calls, `MZ…` media streams, `AC…` accounts; Twilio voice webhook docs §1.1).
 */
export type SidPrefix = 'CA' | 'MZ' | 'AC' | 'RE' | 'CF';

export function newSid(prefix: SidPrefix): string {
  return prefix + randomBytes(16).toString('hex');
}

export function isSid(value: string, prefix: SidPrefix): boolean {
  return new RegExp(`^${prefix}[0-9a-f]{32}$`).test(value);
}
