import { SipError } from '../../sip/signaling/sip-error.js';
import type { AgentLink } from '../agent/agent-link.js';
import type { CallLeg } from '../call/call-leg.js';
import { mapEndReason, type EndReason } from '../call/end-reason.js';
import type { LiveCall } from '../call/live-call.js';

/**
 * An inbound SIP call while it rings: the agent conversation opens now, and
 * the INVITE is answered once the agent's `conversation_initiation_metadata`
 * has arrived, so the caller's first moment is the agent's first words.
 * Ringing is bounded by the answer timeout; an agent not ready by then (or
 * failing) is the agent-failure policy's case: `hangup` refuses the INVITE
 * (503 + Retry-After, RFC 3261 §21.5.4), `retry` and `transfer` answer and
 * let the call run the policy with the fallback prompt. A CANCEL ends the
 * ring (drachtio answers 487, RFC 3261 §9.2) and closes the agent socket
 * normally (1000). Listed in the registry, so `GET /calls` shows it ringing.
 */

export type AgentFailurePolicy = 'retry' | 'hangup' | 'transfer';

/** Answer with the agent's link, or answer and let the call handle the failure. */
export type AnswerDecision = { link: AgentLink } | { failure: string };

export interface RingingCallOptions {
  id: string;
  from: string;
  to: string;
  agentId: string;
  /** Opens the agent conversation; resolves on `conversation_initiation_metadata`. */
  connect: (signal: AbortSignal) => Promise<AgentLink>;
  answerTimeoutMs: number;
  onAgentFailure: AgentFailurePolicy;
  retryAfterSeconds: number;
}

/** Nothing to play while it rings: the LiveCall's leg placeholder. */
const SILENT_LEG: CallLeg = {
  kind: 'sip', codec: 'ulaw', providerCallId: '',
  attach: () => undefined, sendAudio: () => undefined, mark: () => undefined, clear: () => undefined,
  unplayedMs: () => 0, hangup: async () => undefined,
};

export class RingingCall implements LiveCall {
  readonly startedAt = Date.now();
  readonly direction = 'inbound' as const;
  readonly leg: CallLeg;
  state: 'ringing' | 'answering' | 'ended' = 'ringing';
  endReason: EndReason | undefined;
  endDetail = '';
  /** Set once the ring decided to answer. */
  decision: AnswerDecision | undefined;
  /** When the agent was ready (performance.now()), for the answer-latency figure. */
  agentReadyAt: number | undefined;
  private readonly abort = new AbortController();
  private stop: ((reason: EndReason, detail: string) => void) | undefined;

  constructor(private readonly opts: RingingCallOptions) {
    this.leg = { ...SILENT_LEG, providerCallId: opts.id };
  }

  get id(): string {
    return this.opts.id;
  }

  /** Resolves when to answer; rejects with the `SipError` to refuse with. `cancel` aborts on CANCEL. */
  ring(cancel: AbortSignal): Promise<AnswerDecision> {
    const { answerTimeoutMs, onAgentFailure } = this.opts;
    const attempt = this.opts.connect(this.abort.signal);
    return new Promise<AnswerDecision>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        cancel.removeEventListener('abort', onCancel);
        this.stop = undefined;
        fn();
      };
      const refuse = (reason: EndReason, detail: string): void => finish(() => {
        this.state = 'ended';
        this.endReason = reason;
        this.endDetail = detail;
        this.abort.abort();
        reject(this.refusal(reason, detail));
      });
      const answer = (decision: AnswerDecision): void => finish(() => {
        this.state = 'answering';
        this.decision = decision;
        resolve(decision);
      });
      const failed = (detail: string): void => {
        if (onAgentFailure === 'hangup') return refuse('agent-failed', detail);
        if (done) return;
        this.abort.abort();
        answer({ failure: detail });
      };
      const onCancel = (): void => refuse('caller-cancelled', 'the caller hung up while it rang (CANCEL)');
      const timer = setTimeout(() => failed(`agent not ready within ${answerTimeoutMs} ms`), answerTimeoutMs);
      this.stop = refuse;
      cancel.addEventListener('abort', onCancel, { once: true });
      if (cancel.aborted) onCancel();
      attempt.then(
        (link) => {
          if (done) return link.close(1000, 'call ended while ringing');
          this.agentReadyAt = performance.now();
          answer({ link });
        },
        (err: Error) => failed(`agent connection failed: ${err.message}`),
      );
    });
  }

  /** The INVITE was not answered after all (CANCEL crossing the 200, no ACK): close what the ring opened. */
  notAnswered(reason: EndReason, detail: string): void {
    this.state = 'ended';
    this.endReason ??= reason;
    this.endDetail ||= detail;
    this.abort.abort();
    if (this.decision && 'link' in this.decision) this.decision.link.close(1000, reason);
  }

  /** Shutdown or the API ends a ringing call: the INVITE is refused with the reason's SIP status. */
  async end(reason: EndReason, detail = ''): Promise<void> {
    this.stop?.(reason, detail || reason);
  }

  describe(): Record<string, unknown> {
    return {
      id: this.id, provider_call_id: this.id, leg: 'sip', kind: 'agent', direction: this.direction,
      from: this.opts.from, to: this.opts.to, agent_id: this.opts.agentId, state: this.state,
      conversation_id: null, started_at: new Date(this.startedAt).toISOString(),
      duration_seconds: Math.round((Date.now() - this.startedAt) / 1000),
    };
  }

  private refusal(reason: EndReason, detail: string): SipError {
    const status = mapEndReason(reason).sipStatus;
    if (status === 503) {
      return new SipError(503, `Service Unavailable (${detail})`, { 'Retry-After': String(this.opts.retryAfterSeconds) });
    }
    return new SipError(status, detail);
  }
}
