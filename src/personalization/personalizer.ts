import type { ConversationInit } from '../agent/elevenlabs-protocol.js';
import type { CallPrep } from '../call/call-prep.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import {
  fetchInitData, mergeInit, PERSONALIZATION,
  type InitWebhookRequest, type PersonalizationResult, type PersonalizationSettings,
} from './init-webhook.js';

export interface PersonalizerDeps {
  prep: CallPrep;
  /** The agent's settings (environment, AGENTS_FILE defaults, the agent's entry). */
  settingsFor: (agentId: string) => PersonalizationSettings;
  log: Logger;
  metrics: Metrics;
}

/**
 * The conversation initiation webhook for inbound calls: started while the
 * phone rings (`begin`), its answer merged into the agent's init data when
 * the media starts (`initFor`). A stream that lands on an instance that did
 * not see the ringing (or a webhook that never ran) starts the request then.
 */
export class Personalizer {
  constructor(private readonly deps: PersonalizerDeps) {}

  enabledFor(agentId: string): boolean {
    return Boolean(this.deps.settingsFor(agentId).url);
  }

  /** Whether a failed webhook refuses the call instead of going on with defaults. */
  refusesOnFailure(agentId: string): boolean {
    const s = this.deps.settingsFor(agentId);
    return Boolean(s.url) && s.onFailure === 'refuse';
  }

  /** At the voice webhook / during SIP ringing: the request starts now, in parallel with answering. */
  begin(callKey: string, request: InitWebhookRequest): void {
    const settings = this.deps.settingsFor(request.agent_id);
    const url = settings.url;
    if (!url) return;
    this.deps.prep.start(callKey, PERSONALIZATION, (signal) => this.request({ ...settings, url }, request, signal));
  }

  /** The webhook's answer (waiting for it if needed); undefined when no webhook is configured. */
  async result(callKey: string, request: InitWebhookRequest): Promise<PersonalizationResult | undefined> {
    const settings = this.deps.settingsFor(request.agent_id);
    const url = settings.url;
    if (!url) return undefined;
    return this.deps.prep.take(callKey, PERSONALIZATION) ?? this.request({ ...settings, url }, request);
  }

  /** The call will not start: abort its request. */
  discard(callKey: string): void {
    this.deps.prep.discard(callKey);
  }

  /** Peeks at a prepared answer without consuming it (a refusing agent decides before answering). */
  async awaitPrepared(callKey: string): Promise<PersonalizationResult | undefined> {
    const taken = this.deps.prep.take(callKey, PERSONALIZATION);
    if (!taken) return undefined;
    const result = await taken;
    // Put it back, settled, for the stream to take.
    this.deps.prep.start(callKey, PERSONALIZATION, async () => result);
    return result;
  }

  /** The agent's init data: webhook values over `defaults` (which already hold the URL's `var_`s). */
  async initFor(callKey: string, request: InitWebhookRequest, defaults: ConversationInit): Promise<ConversationInit> {
    const result = await this.result(callKey, request);
    return mergeInit(defaults, result?.ok ? result.init : undefined);
  }

  private async request(settings: PersonalizationSettings & { url: string }, request: InitWebhookRequest, signal?: AbortSignal): Promise<PersonalizationResult> {
    const result = await fetchInitData(settings, request, signal);
    this.deps.metrics.personalization.inc({ outcome: result.ok ? 'ok' : result.reason });
    this.deps.metrics.personalizationSeconds.observe(result.ms / 1000);
    const log = this.deps.log.child({ callSid: request.call_sid, agentId: request.agent_id });
    if (result.ok) log.info({ ms: result.ms, variables: Object.keys(result.init.dynamicVariables ?? {}).length }, 'personalization webhook answered');
    else log.warn({ ms: result.ms, reason: result.reason, detail: result.detail }, 'personalization webhook failed; call goes on with defaults unless the agent refuses');
    return result;
  }
}
