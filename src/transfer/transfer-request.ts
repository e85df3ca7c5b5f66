import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { TransferRule } from '../../config/index.js';

/** A request to hand the caller to a person, from the agent's tool, the API, a key press or a failure policy. */
export interface TransferRequest {
  /** E.164 number or a rule's label, as the agent or API gave it. */
  destination: string;
  /** What the caller is told before the transfer (the agent says it before calling the tool). */
  clientMessage?: string;
  /** What the operator hears first (warm transfer whisper). */
  agentMessage?: string;
  reason?: string;
  mode?: 'cold' | 'warm';
  silent?: boolean;
  source: 'agent' | 'api' | 'dtmf' | 'agent-failure';
}

export type TransferOutcome = 'connected' | 'no-answer' | 'busy' | 'declined' | 'failed';

/**
 * The configured rule a requested destination matches, by E.164 number or by
 * label. Model output is never dialled as such: only a rule's own number is.
 */
export function matchTransferRule(rules: readonly TransferRule[], destination: string): TransferRule | undefined {
  const wanted = destination.trim();
  const byLabel = rules.find((r) => r.label !== undefined && r.label.toLowerCase() === wanted.toLowerCase());
  if (byLabel) return byLabel;
  const number = parsePhoneNumberFromString(wanted)?.number;
  return number ? rules.find((r) => r.number === number) : undefined;
}

export function describeRules(rules: readonly TransferRule[]): string {
  return rules.map((r) => (r.label ? `${r.label} (${r.number})` : r.number)).join(', ') || 'none';
}
