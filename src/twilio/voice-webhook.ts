import type { Request, RequestHandler } from 'express';
import type { Config } from '../../config/index.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Personalizer } from '../personalization/personalizer.js';
import { connectStreamTwiml, rejectTwiml } from './stream-params.js';

export { STREAM_ENDED_PATH, STREAM_PATH } from './stream-params.js';
/** Query parameters on the webhook URL named `var_<name>` become the agent's dynamic variable `<name>`. */
const VAR_PREFIX = 'var_';
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

export interface VoiceWebhookDeps {
  config: Config;
  registry: CallRegistry;
  log: Logger;
  metrics: Metrics;
  /** Start the call's agent preparation (signed URL) now, before the stream exists. */
  prepareAgent?: (callSid: string, agentId: string) => void;
  /** The conversation initiation webhook, started here while Twilio connects the stream. */
  personalizer?: Personalizer;
}

/**
 * POST /twilio/voice: answers an inbound call with `<Connect><Stream>` to our
 * media WebSocket. The call's context travels in `<Parameter>`s, sealed by a
 * stream token bound to the CallSid.
 */
export function voiceWebhook(deps: VoiceWebhookDeps): RequestHandler {
  return async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const callSid = body.CallSid ?? '';
    if (!CALL_SID.test(callSid)) {
      deps.metrics.rejected.inc({ source: 'twilio-webhook', reason: 'bad-call-sid' });
      res.status(400).type('text/plain').send('missing or invalid CallSid');
      return;
    }
    const log = deps.log.child({ callSid });
    res.type('text/xml');
    if (!deps.registry.hasRoom()) {
      log.warn({ active: deps.registry.size }, 'at capacity; rejecting call as busy');
      deps.metrics.rejected.inc({ source: 'twilio-webhook', reason: 'capacity' });
      res.send(rejectTwiml('busy'));
      return;
    }
    const agentId = queryString(req, 'agent_id') ?? deps.config.elevenlabs.agentId;
    if (!agentId) {
      log.error('no agent configured: set ELEVENLABS_AGENT_ID or pass agent_id on the webhook URL');
      res.send(rejectTwiml('rejected'));
      return;
    }
    const context = {
      agentId,
      from: body.From ?? '',
      to: body.To ?? '',
      direction: body.Direction ?? 'inbound',
      vars: JSON.stringify(webhookVariables(req)),
    };
    const personalizer = deps.personalizer;
    if (personalizer) {
      // In parallel with answering: the caller hears ringing, then the stream connects (§4.9).
      personalizer.begin(callSid, { caller_id: context.from, agent_id: agentId, called_number: context.to, call_sid: callSid });
      if (personalizer.refusesOnFailure(agentId)) {
        const result = await personalizer.awaitPrepared(callSid);
        if (result && !result.ok) {
          log.warn({ reason: result.reason }, 'personalization failed and the agent refuses such calls');
          deps.metrics.rejected.inc({ source: 'twilio-webhook', reason: 'personalization' });
          res.send(rejectTwiml('rejected'));
          return;
        }
      }
    }
    log.info({ from: context.from, to: context.to, agentId }, 'inbound call: connecting media stream');
    deps.prepareAgent?.(callSid, agentId);
    res.send(connectStreamTwiml(deps.config, callSid, context));
  };
}

function queryString(req: Request, name: string): string | undefined {
  const v = req.query[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function webhookVariables(req: Request): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.query)) {
    if (key.startsWith(VAR_PREFIX) && typeof value === 'string' && key.length > VAR_PREFIX.length) {
      vars[key.slice(VAR_PREFIX.length)] = value;
    }
  }
  return vars;
}
