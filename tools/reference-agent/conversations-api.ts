/**
 * `GET /v1/convai/conversations/{conversation_id}` as ElevenLabs serves it
 * (protocols.md §4.10; elevenlabs-docs openapi `GetConversationResponseModel`;
 * the post-call webhook example in the seed, L14679ff, has the same shape):
 * `status` is `in-progress` while the socket is open, then `processing` while
 * the service analyses the call, then `done` with `analysis`
 * (`evaluation_criteria_results`, `data_collection_results`, `call_successful`,
 * `transcript_summary`) and the service's own `transcript`. Requires the
 * `xi-api-key` header. Faults for tests: a status code, or no answer at all.
 * No sockets here: it maps requests to answers, like the gatekeeper.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ConversationCore } from './conversation-core.js';
import type { HttpAnswer } from './gatekeeper.js';

export const CONVERSATIONS_PATH = /^\/v1\/convai\/conversations\/([^/]+)$/;

export interface ConversationsApiOptions {
  /**
   * GETs of an ended conversation answered `processing` before it is `done`
   * (default 0). Infinity: the analysis never finishes.
   */
  processingPolls?: number;
  /** Answer GETs with this HTTP status (e.g. 500 or 503) in the API's error shape… */
  failWith?: number;
  /** …the first `failTimes` GETs only (default: all of them). */
  failTimes?: number;
  /** Never answer: the request stays open until the client gives up (or the server closes). */
  hang?: boolean;
  /**
   * The key this endpoint accepts (default: the server's, as for get-signed-url).
   * Workspace API keys carry per-resource permissions (seed L1190), so a key
   * that opens conversations may still be refused their history.
   */
  apiKey?: string;
  /** The analysis once done; default: one derived from the conversation. */
  analysis?: (c: ConversationCore) => Record<string, unknown>;
}

export type ConversationsAnswer = HttpAnswer | { hang: true };

export interface ConversationLookup {
  find(conversationId: string): ConversationCore | undefined;
  /** Whether `given` is a key accepted for `c`'s agent (the server's key rules). */
  keyAccepted(c: ConversationCore | undefined, given: string | string[] | undefined): boolean;
}

const detail = (status: number, code: string, message: string): HttpAnswer => ({ status, body: { detail: { status: code, message } } });

export class ConversationsApi {
  /** GETs answered per conversation id (for `processingPolls`). */
  readonly polls = new Map<string, number>();
  /** GETs answered with `failWith` so far. */
  failed = 0;

  constructor(private readonly lookup: ConversationLookup, public options: ConversationsApiOptions = {}) {}

  handles(pathname: string): boolean {
    return CONVERSATIONS_PATH.test(pathname);
  }

  answer(method: string, url: URL, headers: IncomingHttpHeaders): ConversationsAnswer {
    const o = this.options;
    if (method !== 'GET') return { status: 405, body: { detail: 'Method Not Allowed' } };
    const id = decodeURIComponent(CONVERSATIONS_PATH.exec(url.pathname)![1]!);
    const conversation = this.lookup.find(id);
    const given = headers['xi-api-key'];
    const keyOk = o.apiKey !== undefined ? given === o.apiKey : this.lookup.keyAccepted(conversation, given);
    if (!keyOk) return detail(401, 'invalid_api_key', 'Invalid API key');
    if (o.hang) return { hang: true };
    if (o.failWith && this.failed < (o.failTimes ?? Infinity)) {
      this.failed++;
      return detail(o.failWith, 'internal_error', 'stand-in fault');
    }
    if (!conversation) return detail(404, 'conversation_not_found', `Conversation ${id} not found`);
    return { status: 200, body: this.record(conversation) };
  }

  private record(c: ConversationCore): Record<string, unknown> {
    const status = this.statusOf(c);
    const start = c.startedAt;
    const endPerf = c.closedAt ?? performance.now();
    const secs = (at: number) => Math.max(0, Math.floor((at - (start?.perf ?? at)) / 1000));
    return {
      agent_id: c.agent.agentId,
      conversation_id: c.conversationId,
      status,
      user_id: typeof c.initiation?.user_id === 'string' ? c.initiation.user_id : null,
      transcript: c.transcript.map((t) => ({
        role: t.role, message: t.message, time_in_call_secs: secs(t.at),
        tool_calls: [], tool_results: [], feedback: null, conversation_turn_metrics: null,
      })),
      metadata: {
        start_time_unix_secs: Math.floor((start?.wallMs ?? Date.now()) / 1000),
        call_duration_secs: start ? secs(endPerf) : 0,
      },
      analysis: status === 'done' ? (this.options.analysis ?? defaultAnalysis)(c) : null,
      conversation_initiation_client_data: {
        conversation_config_override: c.initiation?.conversation_config_override ?? {},
        custom_llm_extra_body: {},
        dynamic_variables: c.initiation?.dynamic_variables ?? {},
      },
      has_audio: false, has_user_audio: false, has_response_audio: false,
    };
  }

  /** Every GET of an ended conversation counts towards `processingPolls`. */
  private statusOf(c: ConversationCore): 'in-progress' | 'processing' | 'done' {
    if (!c.closeInfo) return 'in-progress';
    const n = this.polls.get(c.conversationId) ?? 0;
    this.polls.set(c.conversationId, n + 1);
    return n < (this.options.processingPolls ?? 0) ? 'processing' : 'done';
  }
}

/** An analysis that depends on what was said, so a test can tell it came from this conversation. */
function defaultAnalysis(c: ConversationCore): Record<string, unknown> {
  const agentLines = c.transcript.filter((t) => t.role === 'agent').length;
  const userLines = c.transcript.length - agentLines;
  const name = c.initiation?.dynamic_variables?.first_name;
  return {
    evaluation_criteria_results: {
      agent_spoke: {
        criteria_id: 'agent_spoke', result: agentLines > 0 ? 'success' : 'failure',
        rationale: `The agent said ${agentLines} thing(s).`,
      },
    },
    data_collection_results: {
      first_name: {
        data_collection_id: 'first_name', value: typeof name === 'string' ? name : null,
        json_schema: { type: 'string', description: "The caller's first name" }, rationale: 'From the dynamic variables.',
      },
    },
    call_successful: agentLines > 0 ? 'success' : 'failure',
    transcript_summary: `Conversation ${c.conversationId}: the agent said ${agentLines} thing(s), the user ${userLines}.`,
  };
}
