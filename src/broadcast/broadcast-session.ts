import type { BroadcastSettings, MenuAction } from '../../config/index.js';
import { g711LawOf, type CallLeg, type CallLegHandler, type InboundAudio } from '../call/call-leg.js';
import type { EndReason } from '../call/end-reason.js';
import type { LiveCall } from '../call/live-call.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import type { TtsService } from '../tts/tts-service.js';
import { TtsPlayback } from '../tts/tts-playback.js';
import { emptyOutcome, type BroadcastOutcome } from './broadcast-outcome.js';

/** Menu opt-out for any leg: the number goes on the do-not-call list with the reason. */
export function optOutToDoNotCall(store: Store): (phoneNumber: string) => Promise<void> {
  return (phoneNumber) => store.doNotCall.add(phoneNumber, 'opted out by key press during a broadcast').then(() => undefined);
}

export interface BroadcastSessionOptions {
  id: string;
  leg: CallLeg;
  from: string;
  to: string;
  /** With the message and voicemail variant already rendered for this recipient (may still be loading). */
  broadcast: Promise<BroadcastSettings>;
  /** AMD result known before the stream (synchronous detection): `machine_end_beep`, `human`, … */
  answeredBy?: string;
  tts: TtsService;
  log: Logger;
  /** Puts the number on the do-not-call list. */
  optOut: (phoneNumber: string) => Promise<void>;
  /** Hands the caller to a person (rules enforced by the owner); false when refused. */
  transfer: (destination: string) => boolean;
  /** Hands the leg to an agent conversation; returns the new live call. */
  connectAgent: (agentId: string | undefined) => LiveCall;
  onEnded: (session: BroadcastSession, outcome: BroadcastOutcome) => void;
}

/**
 * A call without an agent: speaks a message (TTS, cached), optionally offers
 * a key-press menu, leaves the voicemail variant on machines, and records
 * what the person actually heard, confirmed by playback truth.
 */
export class BroadcastSession implements CallLegHandler, LiveCall {
  readonly startedAt = Date.now();
  readonly direction = 'outbound' as const;
  state: 'playing' | 'menu' | 'ended' | 'handed-over' = 'playing';
  readonly outcome = emptyOutcome();
  private readonly playback: TtsPlayback;
  private playing: AbortController | undefined;
  private keyWaiter: ((key: string | undefined) => void) | undefined;
  private pendingKey: string | undefined;
  private endPromise: Promise<void> | undefined;
  private endReason: EndReason = 'agent-ended';

  constructor(private readonly opts: BroadcastSessionOptions) {
    // Broadcast legs are dialled with G.711 only (SipDialer), as the TTS speaks G.711.
    this.playback = new TtsPlayback(opts.leg, { law: g711LawOf(opts.leg.codec) });
  }

  get id(): string {
    return this.opts.id;
  }

  get leg(): CallLeg {
    return this.opts.leg;
  }

  start(): void {
    this.opts.leg.attach(this);
    void this.run().catch((err: Error) => {
      this.opts.log.error({ err: err.message }, 'broadcast failed');
      void this.end('error', err.message);
    });
  }

  private broadcast!: BroadcastSettings;

  private async run(): Promise<void> {
    const b = (this.broadcast = await this.opts.broadcast);
    const machine = this.opts.answeredBy?.startsWith('machine') ?? false;
    if (machine) {
      const r = await this.say(b.voicemail_message ?? b.message);
      this.outcome.voicemail = { left: r.complete };
      return void this.end('agent-ended', 'voicemail left');
    }
    for (let i = 0; i < b.repeat && this.pendingKey === undefined && this.live; i++) await this.sayMessage();
    if (b.menu && this.live) await this.menu();
    if (this.live) await this.end('agent-ended', 'broadcast finished');
  }

  /** The message itself; a key press (with a menu) interrupts it. */
  private async sayMessage(): Promise<void> {
    const r = await this.say(this.broadcast.message);
    const heard = r.playedMs / 1000;
    if (r.complete) this.outcome.message = 'complete';
    else if (this.outcome.message !== 'complete' && heard > 0) this.outcome.message = 'partial';
    this.outcome.heardSeconds = Math.max(this.outcome.heardSeconds, Math.round(heard * 10) / 10);
  }

  private async menu(): Promise<void> {
    const menu = this.broadcast.menu!;
    this.state = 'menu';
    for (let attempt = 0; attempt < menu.attempts && this.live; attempt++) {
      const key = this.takeKey() ?? (await this.waitKey(menu.timeout_seconds * 1000));
      if (!this.live) return;
      if (key === undefined) {
        if (menu.timeout_prompt && attempt + 1 < menu.attempts) await this.say(menu.timeout_prompt);
        continue;
      }
      const action = menu.keys[key];
      if (!action) {
        await this.say(menu.invalid_prompt);
        continue;
      }
      if (await this.perform(action)) return;
      attempt = -1; // a repeat is not a failed attempt
    }
  }

  /** Runs a menu action; true when the call is over (or no longer ours). */
  private async perform(action: MenuAction): Promise<boolean> {
    switch (action.action) {
      case 'repeat':
        await this.sayMessage();
        return false;
      case 'hangup':
        await this.end('caller-hangup', 'caller chose to hang up');
        return true;
      case 'opt-out':
        await this.opts.optOut(this.opts.to);
        this.outcome.optedOut = true;
        await this.say(this.broadcast.menu!.opt_out_confirmation);
        await this.end('agent-ended', 'caller opted out');
        return true;
      case 'transfer':
        return this.transfer(action.destination);
      case 'agent':
        this.state = 'handed-over';
        this.outcome.handedToAgent = true;
        this.opts.onEnded(this, this.outcome);
        this.opts.connectAgent(action.agent_id);
        return true;
    }
  }

  private async transfer(destination: string): Promise<boolean> {
    if (!this.opts.transfer(destination)) {
      this.opts.log.warn({ destination }, 'broadcast menu transfer refused by the rules');
      return false;
    }
    this.outcome.transferredTo = destination;
    await this.end('transfer', `transfer to ${destination}`);
    return true;
  }

  private async say(text: string): Promise<{ playedMs: number; complete: boolean }> {
    this.playing = new AbortController();
    const audio = this.opts.tts.stream(text, { encoding: g711LawOf(this.leg.codec), voiceId: this.broadcast.voice_id }, this.playing.signal);
    const result = await this.playback.play(audio, this.playing.signal);
    this.playing = undefined;
    if (result.error) this.opts.log.warn({ err: String(result.error) }, 'speech failed mid-message');
    return result;
  }

  // ---- leg events ---------------------------------------------------------

  onAudio(_frame: InboundAudio): void {}

  onDtmf(digit: string): void {
    if (!this.live) return;
    this.outcome.keys.push(digit);
    if (!this.broadcast?.menu) return;
    if (this.keyWaiter) return this.keyWaiter(digit);
    this.pendingKey = digit;
    this.playing?.abort(); // a key press cuts the message short
  }

  onPlayed(label: string): void {
    this.playback.onPlayed(label);
  }

  onEnded(reason: EndReason, detail: string): void {
    this.playing?.abort();
    this.keyWaiter?.(undefined);
    void this.end(reason, detail);
  }

  private takeKey(): string | undefined {
    const k = this.pendingKey;
    this.pendingKey = undefined;
    return k;
  }

  private waitKey(ms: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), ms);
      const done = (key: string | undefined): void => {
        clearTimeout(timer);
        this.keyWaiter = undefined;
        resolve(key);
      };
      this.keyWaiter = done;
    });
  }

  private get live(): boolean {
    return this.state === 'playing' || this.state === 'menu';
  }

  describe(): Record<string, unknown> {
    return {
      id: this.id, provider_call_id: this.leg.providerCallId, leg: this.leg.kind, kind: 'broadcast', direction: this.direction,
      from: this.opts.from, to: this.opts.to, state: this.state,
      started_at: new Date(this.startedAt).toISOString(), duration_seconds: Math.round((Date.now() - this.startedAt) / 1000),
      outcome: this.outcome,
    };
  }

  /** Ends once: stop speaking, hang up the leg, report the outcome. */
  end(reason: EndReason, detail = ''): Promise<void> {
    if (this.endPromise) return this.endPromise;
    if (this.state === 'handed-over') return Promise.resolve();
    this.state = 'ended';
    this.endReason = reason;
    this.playing?.abort();
    this.keyWaiter?.(undefined);
    this.opts.log.info({ reason, detail, outcome: this.outcome }, 'broadcast call ended');
    // Hang up from a microtask: a leg reports its end back to us (onEnded) while hanging up, and
    // that re-entrant end() must find endPromise set, not hang up (or send BYE) a second time.
    this.endPromise = Promise.resolve()
      .then(() => this.leg.hangup(reason))
      .catch(() => undefined)
      .then(() => this.opts.onEnded(this, this.outcome));
    return this.endPromise;
  }

  get reason(): EndReason {
    return this.endReason;
  }
}
