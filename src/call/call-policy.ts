import { mergePolicy, type CallPolicySettings, type Config, type PartialCallPolicy } from '../../config/index.js';
import type { Logger } from '../logger.js';
import { clipFromUlaw, defaultFallbackClip, loadWavClip, type AudioClip } from './audio-clip.js';

/** A call's behaviour with its prompts loaded: what a CallSession runs on. */
export interface CallPolicy {
  bargeIn: boolean;
  silenceEndCallTimeoutMs: number | null;
  silenceGoodbye?: AudioClip;
  maxDurationMs: number | null;
  maxDurationMessage?: AudioClip;
  mediaTimeoutMs: number;
  endCallGraceMs: number;
  endCallToolName: string;
  dtmf: CallPolicySettings['dtmf'];
  agentFailure: { policy: 'retry' | 'hangup' | 'transfer'; transferTo?: string; fallback: AudioClip; responseTimeoutMs: number };
  answeringMachine: { action: 'hangup' | 'leave-message' | 'connect-agent'; message?: AudioClip };
  transfer: CallPolicySettings['transfer'];
  recording: 'on' | 'off';
}

/** What the resolver needs to speak text prompts: the bridge's TTS (cache in front). */
export interface PromptSpeaker {
  prefetch(text: string, opts: { encoding: 'ulaw' }): Promise<Uint8Array>;
}

/**
 * Resolves the policy for a call: environment defaults, then AGENTS_FILE
 * defaults, then the agent's entry, then per-call (campaign) overrides.
 * WAV prompts are read once and cached; `preload` reads them all at start so
 * a missing file fails the start, not a live call. Text prompts are spoken
 * by the TTS engine into clips: `warmUp` synthesizes the configured ones at
 * start; a text first seen on a call (a campaign's) is synthesized then, and
 * until it is ready the call goes on as if no prompt were set (no dead air
 * waiting on a TTS round trip).
 */
export class PolicyResolver {
  private readonly clips = new Map<string, AudioClip>();
  private readonly spoken = new Map<string, AudioClip | Promise<AudioClip | undefined>>();
  private readonly fallback = defaultFallbackClip();

  constructor(private readonly config: Config, private readonly speaker?: PromptSpeaker, private readonly log?: Logger) {}

  preload(): void {
    for (const s of this.configuredPolicies()) {
      for (const path of [s.silenceGoodbyeAudio, s.maxDurationAudio, s.agentFailure.fallbackAudio, s.answeringMachine.messageAudio]) {
        if (path) this.clip(path);
      }
    }
  }

  /** Speaks every configured text prompt once; failures are logged and retried on first use. */
  async warmUp(): Promise<void> {
    const texts = this.configuredPolicies().flatMap((s) => [s.silenceGoodbyeText, s.maxDurationText, s.agentFailure.fallbackText]);
    await Promise.all(texts.map((t) => (t ? this.speak(t) : undefined)));
  }

  /** The merged settings without loading prompts (e.g. an agent's personalization, at ringing time). */
  settings(agentId: string, overrides?: PartialCallPolicy): CallPolicySettings {
    const { agents } = this.config;
    return mergePolicy(this.config.callPolicy, agents.defaults, agents.agents[agentId], overrides);
  }

  resolve(agentId: string, overrides?: PartialCallPolicy): CallPolicy {
    const { agents } = this.config;
    const s = mergePolicy(this.config.callPolicy, agents.defaults, agents.agents[agentId], overrides);
    return {
      bargeIn: s.bargeIn,
      silenceEndCallTimeoutMs: s.silenceEndCallTimeoutSeconds === null ? null : s.silenceEndCallTimeoutSeconds * 1000,
      silenceGoodbye: this.prompt(s.silenceGoodbyeAudio, s.silenceGoodbyeText),
      maxDurationMs: s.maxDurationSeconds === null ? null : s.maxDurationSeconds * 1000,
      maxDurationMessage: this.prompt(s.maxDurationAudio, s.maxDurationText),
      mediaTimeoutMs: s.mediaTimeoutSeconds * 1000,
      endCallGraceMs: s.endCallGraceMs,
      endCallToolName: s.endCallToolName,
      dtmf: s.dtmf,
      agentFailure: {
        policy: s.agentFailure.policy,
        transferTo: s.agentFailure.transferTo,
        fallback: this.prompt(s.agentFailure.fallbackAudio, s.agentFailure.fallbackText) ?? this.fallback,
        responseTimeoutMs: s.agentFailure.responseTimeoutSeconds * 1000,
      },
      transfer: s.transfer,
      recording: s.recording,
      answeringMachine: {
        action: s.answeringMachine.action,
        message: s.answeringMachine.messageAudio ? this.clip(s.answeringMachine.messageAudio) : undefined,
      },
    };
  }

  private configuredPolicies(): CallPolicySettings[] {
    const layers = [this.config.agents.defaults, ...Object.values(this.config.agents.agents)];
    return [this.config.callPolicy, ...layers.map((l) => mergePolicy(this.config.callPolicy, l))];
  }

  private prompt(path: string | undefined, text: string | undefined): AudioClip | undefined {
    if (path) return this.clip(path);
    if (!text) return undefined;
    const clip = this.spoken.get(text);
    if (clip && !(clip instanceof Promise)) return clip;
    if (!clip) void this.speak(text);
    return undefined;
  }

  /** Single flight per text; a failure is forgotten so the next call tries again. */
  private speak(text: string): Promise<AudioClip | undefined> {
    const known = this.spoken.get(text);
    if (known) return Promise.resolve(known);
    if (!this.speaker) {
      this.log?.warn({ text }, 'text prompt configured but no TTS engine: prompt skipped');
      return Promise.resolve(undefined);
    }
    const pending = this.speaker.prefetch(text, { encoding: 'ulaw' }).then(
      (ulaw) => {
        const clip = clipFromUlaw(`tts: ${text.slice(0, 40)}`, ulaw);
        this.spoken.set(text, clip);
        return clip;
      },
      (err: unknown) => {
        this.spoken.delete(text);
        this.log?.warn({ err: (err as Error).message, text }, 'text prompt could not be synthesized; calls go on without it');
        return undefined;
      },
    );
    this.spoken.set(text, pending);
    return pending;
  }

  private clip(path: string): AudioClip {
    let clip = this.clips.get(path);
    if (!clip) {
      clip = loadWavClip(path);
      this.clips.set(path, clip);
    }
    return clip;
  }
}
