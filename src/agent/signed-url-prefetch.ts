/**
 * Fetches a call's signed agent URL while the call is still being set up
 * (Twilio voice webhook; SIP while ringing), so that at stream start only
 * the conversation's own WebSocket handshake remains before the agent can
 * speak. Only the URL is fetched early: the conversation itself opens once
 * the caller's stream exists (an agent that starts talking, and billing,
 * before anyone listens would lose its first words).
 *
 * Rides on CallPrep: keyed by the provider call id, aborted and dropped if
 * the stream never comes (TTL), taken once. A URL is for one conversation
 * (§4.1), so a reconnect after a dropped agent fetches a new one.
 */
import type { Config } from '../../config/index.js';
import type { CallPrep } from '../call/call-prep.js';
import { prepTask } from '../call/call-prep.js';
import { agentApiPool, fetchSignedUrl } from './signed-url.js';

export interface PrefetchedUrl {
  agentId: string;
  url: string;
}

export const SIGNED_URL_TASK = prepTask<PrefetchedUrl>('agent-signed-url');

export type SignedUrlFetcher = (agentId: string, signal: AbortSignal) => Promise<string>;

export class SignedUrlPrefetch {
  constructor(
    private readonly prep: CallPrep,
    private readonly fetchUrl: SignedUrlFetcher,
  ) {}

  /** Starts fetching the signed URL for this call's agent (no-op if already started). */
  start(callKey: string, agentId: string): void {
    this.prep.start(callKey, SIGNED_URL_TASK, async (signal) => ({ agentId, url: await this.fetchUrl(agentId, signal) }));
  }

  /**
   * The prefetched URL for this call if it was for `agentId`, else
   * undefined (never started, or the call ended up with another agent).
   * Rejects if the prefetch failed: callers fetch anew then.
   */
  take(callKey: string, agentId: string): Promise<string> | undefined {
    const pending = this.prep.take(callKey, SIGNED_URL_TASK);
    if (!pending) return undefined;
    const url = pending.then((p) => {
      if (p.agentId !== agentId) throw new Error(`prefetched for agent ${p.agentId}, not ${agentId}`);
      return p.url;
    });
    url.catch(() => undefined); // a caller that gives up before awaiting must not leave an unhandled rejection
    return url;
  }
}

/** The prefetcher for this configuration: none for public agents (no API key) or when turned off. */
export function signedUrlPrefetchFor(config: Config, prep: CallPrep): SignedUrlPrefetch | undefined {
  const { apiKey, apiUrl, prefetchSignedUrl, httpKeepAliveMs } = config.elevenlabs;
  if (!apiKey || !prefetchSignedUrl) return undefined;
  return new SignedUrlPrefetch(prep, (agentId, signal) => fetchSignedUrl({ apiUrl, apiKey, agentId, signal }, agentApiPool(httpKeepAliveMs)));
}
