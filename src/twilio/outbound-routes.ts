import { Router, type Request } from 'express';
import type { Config } from '../../config/index.js';
import type { CallEvents } from '../calls/call-events.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { Logger } from '../logger.js';
import type { CallStatus, Store } from '../store/index.js';
import { hangupTwiml } from './after-stream.js';
import { connectStreamTwiml, rejectTwiml } from './stream-params.js';
import { AMD_CALLBACK_PATH, OUTBOUND_TWIML_PATH, STATUS_CALLBACK_PATH } from './twilio-dialer.js';
import type { RequestHandler } from 'express';

export interface OutboundRouteDeps {
  config: Config;
  store: Store;
  registry: CallRegistry;
  events: CallEvents;
  log: Logger;
  /** Twilio signature check, applied to every route here. */
  auth: RequestHandler;
  /** Start the call's agent preparation (signed URL) now, before the stream exists. */
  prepareAgent?: (callSid: string, agentId: string) => void;
}

const FINAL: ReadonlySet<string> = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

/**
 * The Twilio side of outbound calls: the TwiML fetched on answer, the call
 * status callbacks and the asynchronous answering-machine result.
 */
export function outboundRoutes(deps: OutboundRouteDeps): Router {
  const router = Router();
  router.post(`${OUTBOUND_TWIML_PATH}/:id`, deps.auth, (req, res) => void answerTwiml(deps, req).then((xml) => res.type('text/xml').send(xml)));
  router.post(`${STATUS_CALLBACK_PATH}/:id`, deps.auth, (req, res) => void onStatus(deps, req).then(() => res.status(204).end()));
  router.post(`${AMD_CALLBACK_PATH}/:id`, deps.auth, (req, res) => void onAmd(deps, req).then(() => res.status(204).end()));
  return router;
}

const body = (req: Request): Record<string, string | undefined> => (req.body ?? {}) as Record<string, string | undefined>;

async function answerTwiml(deps: OutboundRouteDeps, req: Request): Promise<string> {
  const callId = String(req.params.id);
  const call = await deps.store.calls.get(callId).catch(() => undefined);
  const callSid = body(req).CallSid ?? '';
  if (!call || call.providerCallId !== callSid) {
    deps.log.warn({ callId, callSid }, 'outbound TwiML requested for an unknown call; hanging up');
    return hangupTwiml();
  }
  if (!deps.registry.hasRoom()) return rejectTwiml('busy');
  const meta = call.metadata ?? {};
  const agentId = call.agentId || deps.config.elevenlabs.agentId;
  if (!meta.broadcast && agentId) deps.prepareAgent?.(callSid, agentId);
  return connectStreamTwiml(deps.config, callSid, {
    callId,
    agentId: call.agentId ?? '',
    from: call.fromNumber ?? '',
    to: call.toNumber ?? '',
    direction: 'outbound-api',
    vars: JSON.stringify(meta.dynamicVariables ?? {}),
    policy: JSON.stringify(meta.policy ?? {}),
    // A broadcast's message stays in the call record; the stream only says what kind of call it is.
    ...(meta.broadcast ? { mode: 'broadcast', answeredBy: body(req).AnsweredBy ?? '' } : {}),
  });
}

async function onStatus(deps: OutboundRouteDeps, req: Request): Promise<void> {
  const callId = String(req.params.id);
  const status = body(req).CallStatus ?? '';
  try {
    const call = await deps.store.calls.get(callId);
    if (!call) return;
    if (status === 'ringing') await deps.store.calls.updateStatus(callId, 'ringing');
    else if (status === 'in-progress') await deps.store.calls.markAnswered(callId);
    else if (FINAL.has(status)) await deps.store.calls.end(callId, { status: status as CallStatus, reason: status });
    else return; // queued / initiated: nothing new to record
    const after = await deps.store.calls.get(callId);
    deps.events.emit({
      callId, providerCallId: call.providerCallId ?? undefined, campaignId: call.campaignId, recipientId: call.recipientId,
      status: status as CallStatus, answeredBy: body(req).AnsweredBy,
      endReason: FINAL.has(status) ? (after?.endReason as never) : undefined, at: Date.now(),
    });
  } catch (err) {
    deps.log.error({ callId, status, err: (err as Error).message }, 'status callback not recorded');
  }
}

async function onAmd(deps: OutboundRouteDeps, req: Request): Promise<void> {
  const callId = String(req.params.id);
  const answeredBy = body(req).AnsweredBy ?? 'unknown';
  const call = await deps.store.calls.get(callId).catch(() => undefined);
  if (!call) return;
  deps.events.emit({
    callId, providerCallId: call.providerCallId ?? undefined, campaignId: call.campaignId, recipientId: call.recipientId,
    status: 'in-progress', answeredBy, at: Date.now(),
  });
  if (answeredBy.startsWith('machine') || answeredBy === 'fax') deps.registry.get(callId)?.onAnsweringMachine?.(answeredBy);
}
