import type { BroadcastSettings, Config } from '../../config/index.js';
import { signedUrlPrefetchFor } from '../agent/signed-url-prefetch.js';
import { PolicyResolver } from '../call/call-policy.js';
import { CallPrep } from '../call/call-prep.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { Personalizer } from '../personalization/personalizer.js';
import { createTtsService, type TtsService } from '../tts/tts-service.js';

/**
 * Work prepared while a call rings waits this long for its stream, then is dropped. A Twilio
 * stream normally starts within a second or two of its TwiML; a signed URL stays valid 15 minutes (§4.1).
 */
const CALL_PREP_TTL_MS = 60_000;

/** What every call needs, whichever provider carries it: its policy, prompts, TTS and the work done while it rings. */
export interface CallServices {
  /** Work for a call started before its stream exists (signed agent URL, personalization), taken at stream start. */
  readonly callPrep: CallPrep;
  /** Starts fetching the call's signed agent URL while it rings; absent when signed URLs are not prefetched. */
  readonly prepareAgent: ((callSid: string, agentId: string) => void) | undefined;
  /** Takes that prefetched URL at stream start. */
  readonly prefetchedAgentUrl: ((callSid: string, agentId: string) => Promise<string> | undefined) | undefined;
  readonly tts: TtsService;
  readonly policies: PolicyResolver;
  readonly personalizer: Personalizer;
  /** Broadcast texts are synthesized before dialing, in the law the call will carry. */
  prefetchBroadcast(encoding: 'ulaw' | 'alaw'): (b: BroadcastSettings) => Promise<void>;
}

/** Builds them; throws (at start, not on a live call) when a configured prompt file is missing. */
export function createCallServices(config: Config, log: Logger, metrics: Metrics): CallServices {
  const callPrep = new CallPrep({ ttlMs: CALL_PREP_TTL_MS });
  const signedUrls = signedUrlPrefetchFor(config, callPrep);
  const tts = createTtsService(config.tts, { elevenlabs: config.elevenlabs, registry: metrics.registry });
  const policies = new PolicyResolver(config, tts, log);
  policies.preload();
  const personalizer = new Personalizer({ prep: callPrep, settingsFor: (agentId) => policies.settings(agentId).personalization, log, metrics });
  return {
    callPrep, tts, policies, personalizer,
    prepareAgent: signedUrls && ((callSid, agentId) => signedUrls.start(callSid, agentId)),
    prefetchedAgentUrl: signedUrls && ((callSid, agentId) => signedUrls.take(callSid, agentId)),
    prefetchBroadcast: (encoding) => async (b) => {
      for (const text of [b.message, b.voicemail_message]) if (text) await tts.prefetch(text, { encoding, voiceId: b.voice_id });
    },
  };
}
