import { mergePolicy, type CallPolicySettings, type Config, type PartialCallPolicy } from '../../config/index.js';
import { defaultFallbackClip, loadWavClip, type AudioClip } from './audio-clip.js';

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
}

/**
 * Resolves the policy for a call: environment defaults, then AGENTS_FILE
 * defaults, then the agent's entry, then per-call (campaign) overrides.
 * Prompts are read once and cached; `preload` reads them all at start so a
 * missing file fails the start, not a live call.
 */
export class PolicyResolver {
  private readonly clips = new Map<string, AudioClip>();
  private readonly fallback = defaultFallbackClip();

  constructor(private readonly config: Config) {}

  preload(): void {
    const layers = [this.config.agents.defaults, ...Object.values(this.config.agents.agents)];
    for (const s of [this.config.callPolicy, ...layers.map((l) => mergePolicy(this.config.callPolicy, l))]) {
      for (const path of [s.silenceGoodbyeAudio, s.maxDurationAudio, s.agentFailure.fallbackAudio, s.answeringMachine.messageAudio]) {
        if (path) this.clip(path);
      }
    }
  }

  resolve(agentId: string, overrides?: PartialCallPolicy): CallPolicy {
    const { agents } = this.config;
    const s = mergePolicy(this.config.callPolicy, agents.defaults, agents.agents[agentId], overrides);
    return {
      bargeIn: s.bargeIn,
      silenceEndCallTimeoutMs: s.silenceEndCallTimeoutSeconds === null ? null : s.silenceEndCallTimeoutSeconds * 1000,
      silenceGoodbye: s.silenceGoodbyeAudio ? this.clip(s.silenceGoodbyeAudio) : undefined,
      maxDurationMs: s.maxDurationSeconds === null ? null : s.maxDurationSeconds * 1000,
      maxDurationMessage: s.maxDurationAudio ? this.clip(s.maxDurationAudio) : undefined,
      mediaTimeoutMs: s.mediaTimeoutSeconds * 1000,
      endCallGraceMs: s.endCallGraceMs,
      endCallToolName: s.endCallToolName,
      dtmf: s.dtmf,
      agentFailure: {
        policy: s.agentFailure.policy,
        transferTo: s.agentFailure.transferTo,
        fallback: s.agentFailure.fallbackAudio ? this.clip(s.agentFailure.fallbackAudio) : this.fallback,
        responseTimeoutMs: s.agentFailure.responseTimeoutSeconds * 1000,
      },
      transfer: s.transfer,
      answeringMachine: {
        action: s.answeringMachine.action,
        message: s.answeringMachine.messageAudio ? this.clip(s.answeringMachine.messageAudio) : undefined,
      },
    };
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
