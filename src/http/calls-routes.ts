import { Router } from 'express';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import { broadcastSchema, partialPolicySchema, type BroadcastSettings, type Config } from '../../config/index.js';
import { missingVariables, renderTemplate } from '../broadcast/template.js';
import type { CallRegistry } from '../call/call-registry.js';
import { findLive, runLocalControl, type ControlReply, type ControlRequest, type LocalControlDeps } from './live-control.js';
import type { OutboundDialer } from '../calls/outbound-dialer.js';
import { BridgeError } from '../errors.js';
import type { CallRecord, CallStatus, Store } from '../store/index.js';
import { toElevenLabsTurn } from '../webhooks/post-call-event.js';

const e164 = z.string().transform((v, ctx) => {
  const n = parsePhoneNumberFromString(v);
  if (!n?.isValid()) {
    ctx.addIssue({ code: 'custom', message: 'not a valid phone number in international format (E.164)' });
    return z.NEVER;
  }
  return n.number;
});

const placeCallBody = z.object({
  to: e164,
  from: e164.optional(),
  agent_id: z.string().min(1).optional(),
  dynamic_variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  overrides: z.record(z.string(), z.unknown()).optional(),
  policy: partialPolicySchema.optional(),
  machine_detection: z.enum(['off', 'detect', 'detect-message-end']).optional(),
  ring_timeout_seconds: z.number().int().min(5).max(600).optional(),
  /** A broadcast call: this message (and menu) instead of an agent conversation. */
  broadcast: broadcastSchema.optional(),
});

const pageCursor = z.string().regex(/^\d+\..+$/, 'the `next` value of the previous page').transform((v) => {
  const dot = v.indexOf('.');
  return { createdAt: Number(v.slice(0, dot)), id: v.slice(dot + 1) };
});
const time = z.union([
  z.string().regex(/^\d+$/).transform(Number),
  z.string().datetime({ offset: true }).transform((v) => Date.parse(v)),
]);

/**
 * `GET /calls`: live calls by default; `state=ended` pages through history
 * (`before` or `cursor` = the previous page's `next`), filtered by campaign,
 * status (comma list), direction, either party's number and creation time
 * (`since` inclusive, `until` exclusive; ISO 8601 or epoch ms).
 */
const listQuery = z.object({
  state: z.enum(['live', 'ended']).default('live'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: pageCursor.optional(),
  cursor: pageCursor.optional(),
  campaign_id: z.string().min(1).optional(),
  status: z.string().transform((v) => v.split(',') as CallStatus[]).optional(),
  direction: z.enum(['inbound', 'outbound']).optional(),
  number: z.string().min(1).optional(),
  since: time.optional(),
  until: time.optional(),
});

export interface CallsRouteDeps {
  config: Config;
  store: Store;
  registry: CallRegistry;
  dialer: OutboundDialer;
}

/** `/calls`: place an outbound call, list live calls, read one call (live transcript or stored record). */
export function callsRoutes(deps: CallsRouteDeps): Router {
  const router = Router();
  router.post('/calls', async (req, res) => {
    const b = placeCallBody.parse(req.body ?? {});
    const agentId = b.agent_id ?? deps.config.elevenlabs.agentId ?? (b.broadcast ? '' : undefined);
    if (agentId === undefined) throw new BridgeError('invalid-request', 'agent_id is required (no ELEVENLABS_AGENT_ID default)', 400, { field: 'agent_id' });
    const placed = await deps.dialer.dial({
      to: b.to, from: b.from, agentId, dynamicVariables: b.dynamic_variables, overrides: b.overrides,
      policy: b.policy, machineDetection: b.machine_detection, ringTimeoutSeconds: b.ring_timeout_seconds,
      broadcast: b.broadcast && renderForCall(b.broadcast, b.dynamic_variables ?? {}),
    });
    res.status(201).json({ id: placed.callId, provider_call_id: placed.providerCallId, status: 'queued' });
  });
  router.get('/calls', async (req, res) => {
    const q = listQuery.parse(req.query);
    if (q.state !== 'ended') return void res.json({ calls: deps.registry.list().map((s) => s.describe(false)) });
    // Call history (the dashboard's, and integrations'): stored, ended calls, newest first, filtered, by cursor.
    const page = await deps.store.history.list({
      campaignId: q.campaign_id, status: q.status, direction: q.direction, number: q.number,
      since: q.since, until: q.until, limit: q.limit, before: q.before ?? q.cursor,
    });
    res.json({ calls: page.calls.map(storedCallJson), next: page.next });
  });
  router.get('/calls/:id', async (req, res) => {
    const live = findLive(deps.registry, req.params.id);
    if (live) return void res.json(live.describe(true));
    const stored = (await deps.store.calls.get(req.params.id)) ?? (await deps.store.calls.getByProviderCallId('twilio', req.params.id));
    if (!stored) throw new BridgeError('not-found', `no call ${req.params.id}`, 404);
    // The record's own state machine: queued, ringing, in-progress (held elsewhere) or ended.
    res.json(storedCallJson(stored));
  });
  return router;
}

/** A stored call for the API: each turn also in ElevenLabs' shape (`message`, `time_in_call_secs`). */
function storedCallJson(c: CallRecord): Record<string, unknown> {
  return { ...c, transcript: c.transcript?.map((t) => ({ ...t, ...toElevenLabsTurn(t) })) ?? null };
}

/** A single broadcast call's message, with its `{{variables}}` from `dynamic_variables`. */
function renderForCall(b: BroadcastSettings, vars: Record<string, unknown>): BroadcastSettings {
  for (const field of ['message', 'voicemail_message'] as const) {
    const missing = b[field] ? missingVariables(b[field], vars) : [];
    if (missing.length) throw new BridgeError('invalid-request', `no value for ${missing.join(', ')} in dynamic_variables`, 400, { field: `broadcast.${field}` });
  }
  return { ...b, message: renderTemplate(b.message, vars), ...(b.voicemail_message ? { voicemail_message: renderTemplate(b.voicemail_message, vars) } : {}) };
}

export { findLive };

export interface LiveControlDeps extends LocalControlDeps {
  store: Store;
  /** This instance's id: a call record held by another id is forwarded there. */
  instanceId: string;
  /** Sends a request to the instance holding the call and returns its answer (PostgreSQL); absent on a single instance. */
  forward?: (target: string, req: ControlRequest) => Promise<ControlReply>;
  /** Hangs up a call no instance holds a stream for, through the provider's REST API. */
  hangupElsewhere: (id: string, message?: string) => Promise<boolean>;
}

/**
 * Live call control: transfer, hang up, and text into the agent conversation.
 * Run here when this instance holds the call; forwarded to the holder (the
 * record's instance) otherwise; 404 only when no instance holds it.
 */
export function liveControlRoutes(deps: LiveControlDeps): Router {
  const router = Router();
  for (const op of ['transfer', 'hangup', 'message'] as const) {
    router.post(`/calls/:id/${op}`, async (req, res) => {
      const request: ControlRequest = { op, callId: String(req.params.id), body: req.body ?? {} };
      const reply = runLocalControl(deps, request) ?? (await elsewhere(deps, request));
      res.status(reply.status).json(reply.body);
    });
  }
  return router;
}

async function elsewhere(deps: LiveControlDeps, req: ControlRequest): Promise<ControlReply> {
  const call = (await deps.store.calls.get(req.callId)) ?? (await deps.store.calls.getByProviderCallId('twilio', req.callId));
  const holder = call && call.state !== 'ended' && call.mediaAt !== null ? call.instanceId : null;
  if (holder && holder !== deps.instanceId && deps.forward) return deps.forward(holder, { ...req, callId: call!.id });
  if (req.op === 'hangup') {
    const message = (req.body as { message?: unknown }).message;
    if (await deps.hangupElsewhere(req.callId, typeof message === 'string' ? message : undefined)) return { status: 202, body: { id: req.callId, state: 'ending' } };
  }
  return { status: 404, body: { error: { code: 'not-found', message: `no live call ${req.callId}` } } };
}
