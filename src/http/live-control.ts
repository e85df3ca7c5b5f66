import { z } from 'zod';
import type { CallRegistry } from '../call/call-registry.js';
import { CallSession } from '../call/call-session.js';
import type { LiveCall } from '../call/live-call.js';
import { BridgeError } from '../errors.js';

/** A live-control request as it travels between instances: the operation, the call, the (unvalidated) body. */
export interface ControlRequest {
  op: 'transfer' | 'message' | 'hangup';
  callId: string;
  body: unknown;
}

/** The HTTP answer the holder gave. */
export interface ControlReply {
  status: number;
  body: unknown;
}

const transferBody = z.object({
  destination: z.string().min(1),
  mode: z.enum(['cold', 'warm']).optional(),
  agent_message: z.string().min(1).max(1000).optional(),
  reason: z.string().max(500).optional(),
  silent: z.boolean().optional(),
});
const messageBody = z.object({ text: z.string().min(1).max(4000), type: z.enum(['contextual_update', 'user_message']).default('contextual_update') });
const hangupBody = z.object({ message: z.string().min(1).max(1000).optional() });

export interface LocalControlDeps {
  registry: CallRegistry;
  /** Leaves a spoken goodbye (`<Say>`) for the provider to play once the stream closes. */
  sayAfterStream: (call: LiveCall, message: string) => void;
}

/** A live call by our id or by the provider's (CallSid). */
export function findLive(registry: CallRegistry, id: string): LiveCall | undefined {
  return registry.get(id) ?? registry.list().find((s) => s.leg.providerCallId === id);
}

/**
 * Runs a control request on a call this instance holds. Undefined when it
 * holds no such call (the caller then forwards it, or answers 404). Errors
 * become the same `{ error: { code, message, field? } }` answer the API gives,
 * so a forwarded request is answered exactly as a local one.
 */
export function runLocalControl(deps: LocalControlDeps, req: ControlRequest): ControlReply | undefined {
  const s = findLive(deps.registry, req.callId);
  if (!s) return undefined;
  try {
    return perform(deps, s, req);
  } catch (err) {
    return errorReply(err);
  }
}

function perform(deps: LocalControlDeps, s: LiveCall, req: ControlRequest): ControlReply {
  if (req.op === 'hangup') {
    const b = hangupBody.parse(req.body ?? {});
    if (b.message) deps.sayAfterStream(s, b.message);
    if (s instanceof CallSession) s.endAfterPlayback('api-hangup', 'hung up through the API', false);
    else void s.end('api-hangup', 'hung up through the API');
    return { status: 202, body: { id: s.id, state: 'ending' } };
  }
  if (!(s instanceof CallSession)) throw new BridgeError('unsupported', 'this call has no agent conversation', 409);
  if (req.op === 'transfer') {
    const b = transferBody.parse(req.body ?? {});
    const result = s.transfer({ destination: b.destination, mode: b.mode, agentMessage: b.agent_message, reason: b.reason, silent: b.silent, source: 'api' });
    if (!result.ok) {
      const status = result.code === 'not-allowed' ? 400 : 409;
      throw new BridgeError(result.code, result.message, status, { field: result.code === 'not-allowed' ? 'destination' : undefined });
    }
    return { status: 202, body: { id: s.id, state: 'transferring', to: result.to } };
  }
  const b = messageBody.parse(req.body ?? {});
  if (!s.agent || s.state !== 'active') throw new BridgeError('not-active', `call is ${s.state}`, 409);
  if (b.type === 'user_message') s.agent.sendUserMessage(b.text);
  else s.agent.sendContextualUpdate(b.text);
  return { status: 202, body: { id: s.id, delivered: b.type } };
}

function errorReply(err: unknown): ControlReply {
  if (err instanceof z.ZodError) {
    const issue = err.issues[0]!;
    return { status: 400, body: { error: { code: 'invalid-request', message: issue.message, ...(issue.path.length ? { field: issue.path.join('.') } : {}) } } };
  }
  if (err instanceof BridgeError) {
    const field = err.details?.field as string | undefined;
    return { status: err.httpStatus, body: { error: { code: err.code, message: err.message, ...(field ? { field } : {}) } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}
