import { Router, type Request } from 'express';
import type { Config } from '../../config/index.js';
import type { CallLifecycle } from '../calls/call-lifecycle.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { Logger } from '../logger.js';
import { FINAL_CALL_STATUSES, type FinalCallStatus, type JsonValue, type Store } from '../store/index.js';
import { hangupTwiml } from './after-stream.js';
import { connectStreamTwiml, rejectTwiml } from './stream-params.js';
import { AMD_CALLBACK_PATH, OUTBOUND_TWIML_PATH, STATUS_CALLBACK_PATH } from './twilio-dialer.js';
import type { RequestHandler } from 'express';

export interface OutboundRouteDeps {
  config: Config;
  store: Store;
  registry: CallRegistry;
  /** Where every status / AMD fact goes: the call record's state machine. */
  lifecycle: CallLifecycle;
  log: Logger;
  /** Twilio signature check, applied to every route here. */
  auth: RequestHandler;
  /** Start the call's agent preparation (signed URL) now, before the stream exists. */
  prepareAgent?: (callSid: string, agentId: string) => void;
}

const isFinal = (s: string): s is FinalCallStatus => (FINAL_CALL_STATUSES as readonly string[]).includes(s);

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
  // Twilio may fetch the TwiML before our REST create has returned the CallSid: the first to name it sets it.
  if (call && call.providerCallId === null && callSid) await deps.store.calls.setProviderCallId(callId, callSid).catch(() => false);
  const sid = call?.providerCallId ?? (call ? (await deps.store.calls.get(callId).catch(() => undefined))?.providerCallId : undefined);
  if (!call || sid !== callSid) {
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
  const { CallStatus: status = '', AnsweredBy: answeredBy, CallSid: callSid } = body(req);
  try {
    const call = await deps.store.calls.get(callId);
    if (!call) return;
    if (callSid && call.providerCallId === null) await deps.store.calls.setProviderCallId(callId, callSid);
    if (status === 'ringing' || status === 'in-progress') await deps.lifecycle.progress(call, status, answeredBy);
    // The final callback's body is kept: a call that never connected reports it as ElevenLabs does (post-call-event.ts).
    else if (isFinal(status)) await deps.lifecycle.providerEnded(call, status, answeredBy, { statusCallback: callbackBody(body(req)) });
    // queued / initiated: nothing new to record
  } catch (err) {
    deps.log.error({ callId, status, err: (err as Error).message }, 'status callback not recorded');
  }
}

const MAX_CALLBACK_FIELDS = 100;
const MAX_CALLBACK_VALUE = 1000;

/** The callback's form fields as Twilio sent them: strings only, bounded (the request is signed, but stored as is). */
function callbackBody(form: Record<string, unknown>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(form).slice(0, MAX_CALLBACK_FIELDS)) {
    if (typeof v === 'string') out[k.slice(0, 100)] = v.slice(0, MAX_CALLBACK_VALUE);
  }
  return out;
}

async function onAmd(deps: OutboundRouteDeps, req: Request): Promise<void> {
  const callId = String(req.params.id);
  const answeredBy = body(req).AnsweredBy ?? 'unknown';
  try {
    const call = await deps.store.calls.get(callId);
    if (!call) return;
    await deps.lifecycle.answeredBy(call, answeredBy);
    if (answeredBy.startsWith('machine') || answeredBy === 'fax') deps.registry.get(callId)?.onAnsweringMachine?.(answeredBy);
  } catch (err) {
    deps.log.error({ callId, answeredBy, err: (err as Error).message }, 'AMD callback not recorded');
  }
}
