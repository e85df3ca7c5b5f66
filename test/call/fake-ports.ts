/**
 * In-memory implementations of CallSession's two ports (CallLeg, AgentLink)
 * for timer tests under vi.useFakeTimers(): the leg plays queued audio on the
 * (fake) clock, 20 ms a frame, and confirms marks when what was queued before
 * them has played, as Twilio's mark events do. Nothing here stands in for the
 * bridge's own code: the session, its helpers and its policy are the real ones.
 */
import pino from 'pino';
import { vi } from 'vitest';
import { parseConfig, type PartialCallPolicy } from '../../config/index.js';
import type { AgentEvent } from '../../src/agent/elevenlabs-protocol.js';
import type { AgentLink, AgentLinkHandler } from '../../src/agent/agent-link.js';
import { PolicyResolver } from '../../src/call/call-policy.js';
import type { CallLeg, CallLegHandler } from '../../src/call/call-leg.js';
import { CallSession, type CallSessionOptions } from '../../src/call/call-session.js';
import type { EndReason } from '../../src/call/end-reason.js';
import { Metrics } from '../../src/metrics.js';

export const FRAME_MS = 20;
/** μ-law digital silence and a loud μ-law value (about −8 dBFS). */
export const ULAW_SILENCE = 0xff;
export const ULAW_LOUD = 0x10;

export class FakeLeg implements CallLeg {
  readonly kind = 'twilio' as const;
  readonly codec = 'ulaw' as const;
  readonly providerCallId = 'CA-fake';
  handler: CallLegHandler | undefined;
  /** Every frame sent to the caller, with the fake-clock time it was queued. */
  readonly sent: { at: number; frame: Uint8Array }[] = [];
  readonly marks: string[] = [];
  clears = 0;
  hangups: EndReason[] = [];
  /** False: marks are never confirmed (a provider that lost them). */
  confirmMarks = true;
  private playEnd = 0;
  private readonly pendingMarks = new Set<NodeJS.Timeout>();

  attach(handler: CallLegHandler): void {
    this.handler = handler;
  }

  sendAudio(frame: Uint8Array): void {
    this.sent.push({ at: Date.now(), frame });
    this.playEnd = Math.max(this.playEnd, Date.now()) + FRAME_MS;
  }

  mark(label: string): void {
    this.marks.push(label);
    if (!this.confirmMarks) return;
    // Nothing queued: confirmed at once, but never synchronously (it comes back over the socket).
    if (this.unplayedMs() === 0) return queueMicrotask(() => this.handler?.onPlayed(label));
    const t = setTimeout(() => {
      this.pendingMarks.delete(t);
      this.handler?.onPlayed(label);
    }, this.unplayedMs());
    this.pendingMarks.add(t);
  }

  clear(): void {
    this.clears++;
    this.playEnd = Date.now();
    for (const t of this.pendingMarks) clearTimeout(t);
    this.pendingMarks.clear();
  }

  unplayedMs(): number {
    return Math.max(0, this.playEnd - Date.now());
  }

  async hangup(reason: EndReason): Promise<void> {
    this.hangups.push(reason);
    this.clear();
    // A real leg reports its own end while it is being hung up; the session must not end twice.
    this.handler?.onEnded('caller-hangup', 'leg closed by hangup');
  }

  /** The caller's side sends one 20 ms frame of `byte`. */
  frame(byte: number): void {
    this.handler?.onAudio({ payload: new Uint8Array(160).fill(byte) });
  }

  /** The caller's side sends a frame every 20 ms (fake clock) until the returned stop is called. */
  stream(byte: () => number): () => void {
    const t = setInterval(() => this.frame(byte()), FRAME_MS);
    return () => clearInterval(t);
  }
}

export class FakeAgent implements AgentLink {
  readonly conversationId: string;
  readonly inputFormat = 'ulaw_8000';
  readonly outputFormat = 'ulaw_8000';
  handler: AgentLinkHandler | undefined;
  audioIn = 0;
  readonly updates: string[] = [];
  readonly toolResults: { id: string; result: string; isError: boolean }[] = [];
  closed: { code: number; reason: string } | undefined;

  constructor(n: number) {
    this.conversationId = `conv-${n}`;
  }

  attach(handler: AgentLinkHandler): void {
    this.handler = handler;
  }
  sendAudio(): boolean {
    this.audioIn++;
    return true;
  }
  sendPong(): void {}
  sendToolResult(id: string, result: string, isError: boolean): void {
    this.toolResults.push({ id, result, isError });
  }
  sendContextualUpdate(text: string): void {
    this.updates.push(text);
  }
  sendUserMessage(text: string): void {
    this.updates.push(text);
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }

  emit(e: AgentEvent): void {
    this.handler?.onEvent(e);
  }

  /** `ms` of agent speech (μ-law, loud) as one audio event. */
  speak(ms: number, eventId = 1): void {
    const bytes = Buffer.alloc((ms / FRAME_MS) * 160, ULAW_LOUD);
    this.emit({ type: 'audio', eventId, base64: bytes.toString('base64') });
  }

  /** The agent's socket closes (1000 = the agent ended the conversation). */
  closeFromAgent(code: number, reason = ''): void {
    this.handler?.onClosed(code, reason);
  }
}

export type AgentConnector = (n: number, retry: boolean, signal: AbortSignal) => Promise<AgentLink>;

export interface TestCall {
  session: CallSession;
  leg: FakeLeg;
  /** Agents handed to the session, in connection order. */
  agents: FakeAgent[];
  /** connectAgent calls: whether each was the retry. */
  connects: boolean[];
  ended: Promise<CallSession>;
}

/** The call has ended by now (fails at once instead of waiting on a clock that only the test moves). */
export async function endedNow(c: TestCall): Promise<CallSession> {
  await vi.advanceTimersByTimeAsync(0);
  if (c.session.state !== 'ended') throw new Error(`call is ${c.session.state}, expected ended`);
  return c.ended;
}

/** Connects at once with a fresh FakeAgent. */
export const connectAtOnce: AgentConnector = async (n) => new FakeAgent(n);

/**
 * A started CallSession on a FakeLeg with the real policy resolution
 * (environment defaults from `env`, then `policy` overrides).
 */
export function startCall(opts: {
  policy?: PartialCallPolicy;
  env?: Record<string, string>;
  connect?: AgentConnector;
  session?: Partial<CallSessionOptions>;
} = {}): TestCall {
  const config = parseConfig({ TWILIO_SIGNATURE_VALIDATION: 'false', ...opts.env });
  const policy = new PolicyResolver(config).resolve('agent-1', opts.policy);
  const leg = new FakeLeg();
  const agents: FakeAgent[] = [];
  const connects: boolean[] = [];
  const connect = opts.connect ?? connectAtOnce;
  let onEnded!: (s: CallSession) => void;
  const ended = new Promise<CallSession>((r) => (onEnded = r));
  const session = new CallSession({
    id: 'call-1', direction: 'inbound', from: '+15550001111', to: '+15550002222', agentId: 'agent-1',
    leg, policy,
    connectAgent: async (signal, retry) => {
      connects.push(retry);
      const agent = await connect(connects.length, retry, signal);
      if (agent instanceof FakeAgent) agents.push(agent);
      return agent;
    },
    log: pino({ level: 'silent' }),
    metrics: new Metrics(),
    onEnded,
    ...opts.session,
  });
  session.start();
  return { session, leg, agents, connects, ended };
}
