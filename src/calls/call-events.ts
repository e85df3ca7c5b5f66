import { EventEmitter } from 'node:events';
import type { EndReason } from '../call/end-reason.js';
import type { CallStatus } from '../store/schema.js';

/** A call's progress as the provider reports it (Twilio status callbacks, SIP responses) and as the session ends it. */
export interface CallStatusEvent {
  callId: string;
  providerCallId?: string;
  campaignId: string | null;
  recipientId: number | null;
  status: CallStatus;
  /** Answering machine detection result, when it ran: `human`, `machine_start`, `machine_end_beep`, … */
  answeredBy?: string;
  /** Set on the final event of a call that reached a session. */
  endReason?: EndReason;
  at: number;
}

/** In-process fan-out of call progress; the campaign engine and the API listen here. */
export class CallEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(50);
  }

  emit(event: CallStatusEvent): void {
    this.emitter.emit('status', event);
  }

  on(listener: (event: CallStatusEvent) => void): () => void {
    this.emitter.on('status', listener);
    return () => this.emitter.off('status', listener);
  }
}
