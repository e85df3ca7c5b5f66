import type { BroadcastSettings, PartialCallPolicy } from '../../config/index.js';

export type MachineDetection = 'off' | 'detect' | 'detect-message-end';

/** One outbound call to place with an agent (or, for broadcasts, a message). */
export interface OutboundCallRequest {
  /** E.164 destination. */
  to: string;
  /** Caller ID; defaults to the configured outbound number. */
  from?: string;
  agentId: string;
  dynamicVariables?: Record<string, string | number | boolean>;
  /** ElevenLabs `conversation_config_override`. */
  overrides?: Record<string, unknown>;
  /** Call-behaviour overrides (campaign settings). */
  policy?: PartialCallPolicy;
  machineDetection?: MachineDetection;
  ringTimeoutSeconds?: number;
  campaignId?: string;
  recipientId?: number;
  /** A broadcast call: this (rendered) message instead of an agent conversation. */
  broadcast?: BroadcastSettings;
}

export interface PlacedCall {
  callId: string;
  providerCallId: string;
}

/**
 * Places outbound calls through a provider. The call record (with the intent)
 * is stored before the provider is asked, so a crash between the two can be
 * reconciled on restart instead of dialling twice.
 */
export interface OutboundDialer {
  dial(request: OutboundCallRequest): Promise<PlacedCall>;
}
