import type { CallRecord, JsonValue, TranscriptTurn } from '../store/index.js';

/** Statuses of an outbound call that never connected (Twilio's vocabulary). */
const NEVER_CONNECTED = new Set(['busy', 'no-answer', 'failed', 'canceled']);

/**
 * ElevenLabs' `failure_reason` values are "busy", "no-answer" and "unknown"
 * (post-call webhook docs, "Call initiation failure webhooks"); Twilio's
 * `failed` and `canceled` are the last (`data.bridge.status` keeps which).
 */
function failureReason(status: string): 'busy' | 'no-answer' | 'unknown' {
  return status === 'busy' || status === 'no-answer' ? status : 'unknown';
}

export interface PostCallEvent {
  type: 'post_call_transcription' | 'call_initiation_failure';
  event_timestamp: number;
  data: Record<string, JsonValue>;
}

export interface EventContext {
  /** Base URL of the bridge (PUBLIC_URL), for the recording's link. */
  publicUrl: string;
  now: number;
}

/** Metadata keys the bridge writes at the call's end (see CallLog, CallLifecycle, SipDialer). */
export interface CallEndMetadata {
  conversationId?: string;
  clientData?: { dynamicVariables?: Record<string, JsonValue>; overrides?: Record<string, JsonValue> };
  recording?: { file: string; durationMs?: number; bytes?: number };
  /** Twilio's final status callback, form fields as posted. */
  statusCallback?: Record<string, string>;
  /** The final SIP answer of an outbound INVITE that failed. */
  sipFailure?: { statusCode: number | null; reason: string };
}

/**
 * The event for a call that has just ended, in ElevenLabs' post-call shape
 * (protocols.md §4.10, their `GET /v1/convai/conversations/{id}`), so
 * existing receivers work unchanged; what only the bridge knows sits under
 * `data.bridge`. An outbound call that was never answered is a
 * `call_initiation_failure` instead.
 */
export function postCallEvent(call: CallRecord, ctx: EventContext): PostCallEvent {
  const meta = (call.metadata ?? {}) as Record<string, JsonValue> & CallEndMetadata;
  const failed = call.direction === 'outbound' && call.answeredAt === null && NEVER_CONNECTED.has(call.status);
  const event_timestamp = Math.floor(ctx.now / 1000);
  const bridge = bridgeFields(call, meta, ctx);
  if (failed) {
    return {
      type: 'call_initiation_failure', event_timestamp,
      data: {
        agent_id: call.agentId,
        // ElevenLabs opens its conversation before dialling; the bridge opens none for a call nobody answered.
        conversation_id: meta.conversationId ?? null,
        failure_reason: failureReason(call.status),
        metadata: call.provider === 'sip' ? { type: 'sip', body: sipFailureBody(call, meta) } : { type: 'twilio', body: twilioFailureBody(call, meta) },
        recipient: { phone_number: call.toNumber, batch_call: batchCall(call) },
        bridge,
      },
    };
  }
  const started = call.answeredAt ?? call.createdAt;
  return {
    type: 'post_call_transcription', event_timestamp,
    data: {
      agent_id: call.agentId,
      conversation_id: meta.conversationId ?? null,
      status: 'done',
      transcript: (call.transcript ?? []).map(toElevenLabsTurn),
      metadata: {
        start_time_unix_secs: Math.floor(started / 1000),
        call_duration_secs: Math.max(0, Math.round(((call.endedAt ?? ctx.now) - started) / 1000)),
        termination_reason: call.endReason ?? '',
        phone_call: {
          direction: call.direction,
          type: call.provider === 'sip' ? 'sip_trunking' : 'twilio',
          external_number: call.direction === 'inbound' ? call.fromNumber : call.toNumber,
          agent_number: call.direction === 'inbound' ? call.toNumber : call.fromNumber,
          call_sid: call.providerCallId,
        },
        batch_call: batchCall(call),
      },
      analysis: null,
      conversation_initiation_client_data: {
        dynamic_variables: meta.clientData?.dynamicVariables ?? {},
        conversation_config_override: meta.clientData?.overrides ?? {},
      },
      bridge,
    },
  };
}

/** `at` is milliseconds into the call (CallLog writes the session's offsets). */
export function toElevenLabsTurn(t: TranscriptTurn): Record<string, JsonValue> {
  return { role: t.role, message: t.text, time_in_call_secs: Math.max(0, Math.floor((t.at ?? 0) / 1000)), tool_calls: [], tool_results: [] };
}

export function recordingUrl(publicUrl: string, callId: string): string {
  return `${publicUrl}/calls/${encodeURIComponent(callId)}/recording`;
}

function bridgeFields(call: CallRecord, meta: Record<string, JsonValue> & CallEndMetadata, ctx: EventContext): Record<string, JsonValue> {
  return {
    call_id: call.id,
    status: call.status,
    end_reason: call.endReason,
    transfer: meta.transfer ?? null,
    broadcast_outcome: meta.broadcastOutcome ?? null,
    recording_url: meta.recording ? recordingUrl(ctx.publicUrl, call.id) : null,
    campaign_id: call.campaignId,
  };
}

function batchCall(call: CallRecord): JsonValue {
  return call.campaignId ? { batch_call_id: call.campaignId, batch_call_recipient_id: call.recipientId === null ? null : String(call.recipientId) } : null;
}

/**
 * ElevenLabs' `metadata.body` for Twilio is "Twilio StatusCallback body": the
 * final callback as Twilio posted it. A call that got none (the REST create
 * was refused, or its end was reconciled) gets the same fields the bridge knows.
 */
function twilioFailureBody(call: CallRecord, meta: CallEndMetadata): JsonValue {
  if (meta.statusCallback && typeof meta.statusCallback === 'object') return meta.statusCallback;
  const body: Record<string, string> = { CallStatus: call.status, Direction: 'outbound-api', CallDuration: '0' };
  if (call.providerCallId) body.CallSid = call.providerCallId;
  if (call.toNumber) body.To = body.Called = call.toNumber;
  if (call.fromNumber) body.From = body.Caller = call.fromNumber;
  if (call.errorCode) body.ErrorCode = call.errorCode;
  return body;
}

/** ElevenLabs' SIP body: from_number, to_number, sip_status_code, error_reason, call_sid (sip_status optional). */
function sipFailureBody(call: CallRecord, meta: CallEndMetadata): JsonValue {
  const sip = meta.sipFailure;
  return {
    from_number: call.fromNumber, to_number: call.toNumber,
    sip_status_code: sip?.statusCode ?? null, error_reason: sip?.reason ?? call.status,
    call_sid: call.providerCallId ?? call.id,
  };
}
