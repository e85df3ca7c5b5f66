/**
 * Who may talk to which agent (protocols.md §4.1): the `get-signed-url` HTTP
 * endpoint, and admission of WebSocket upgrades (public agents by `agent_id`,
 * private agents only with a valid, unexpired `conversation_signature`).
 * No sockets here: it maps requests to answers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ConversationSigner } from './signing.js';
import type { ReferenceAgentConfig } from './types.js';

export const CONVERSATION_PATH = '/v1/convai/conversation';
const SIGNED_URL_PATHS = [
  `${CONVERSATION_PATH}/get-signed-url`,
  // Deprecated May 2025 (seed L511) but still used by ElevenLabs' example repo.
  `${CONVERSATION_PATH}/get_signed_url`,
];

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export type Admission =
  | { ok: true; agent: ReferenceAgentConfig }
  | { ok: false; httpStatus: 400 | 403 | 404; message: string };

// Error bodies follow the API's FastAPI-style `{ detail: … }` shape.
const detail = (status: number, code: string, message: string): HttpAnswer => ({
  status,
  body: { detail: { status: code, message } },
});

export class Gatekeeper {
  constructor(
    private readonly agents: ReadonlyMap<string, ReferenceAgentConfig>,
    private readonly signer: ConversationSigner,
    private readonly defaultApiKey: string | undefined,
  ) {}

  /** Answers a plain HTTP request; `wsBase` is e.g. `ws://127.0.0.1:8765`. */
  http(method: string, url: URL, headers: IncomingHttpHeaders, wsBase: string): HttpAnswer {
    if (!SIGNED_URL_PATHS.includes(url.pathname)) return { status: 404, body: { detail: 'Not Found' } };
    if (method !== 'GET') return { status: 405, body: { detail: 'Method Not Allowed' } };
    const agentId = url.searchParams.get('agent_id');
    if (!agentId) {
      return { status: 422, body: { detail: [{ type: 'missing', loc: ['query', 'agent_id'], msg: 'Field required' }] } };
    }
    const agent = this.agents.get(agentId);
    if (!this.keyAccepted(agent, headers['xi-api-key'])) return detail(401, 'invalid_api_key', 'Invalid API key');
    if (!agent) return detail(404, 'agent_not_found', `Agent ${agentId} not found`);
    const signed = new URL(CONVERSATION_PATH, wsBase);
    signed.searchParams.set('agent_id', agentId);
    signed.searchParams.set('conversation_signature', this.signer.sign(agentId));
    return { status: 200, body: { signed_url: signed.toString() } };
  }

  /** Decides whether a WebSocket upgrade to `url` may open a conversation. */
  admit(url: URL): Admission {
    if (url.pathname !== CONVERSATION_PATH) return { ok: false, httpStatus: 404, message: 'Not Found' };
    const agentId = url.searchParams.get('agent_id');
    const agent = agentId ? this.agents.get(agentId) : undefined;
    if (!agent) return { ok: false, httpStatus: 404, message: `Agent ${agentId ?? '(none)'} not found` };
    const signature = url.searchParams.get('conversation_signature');
    if (signature === null) {
      return agent.requireAuth ? { ok: false, httpStatus: 403, message: 'Authentication required for this agent' } : { ok: true, agent };
    }
    const check = this.signer.verify(agent.agentId, signature);
    return check === 'ok' ? { ok: true, agent } : { ok: false, httpStatus: 403, message: `Signed URL rejected: ${check}` };
  }

  /**
   * The agent's key, else the server's. With no key configured anywhere, any
   * non-empty key passes: the offline demo then needs no setup.
   */
  keyAccepted(agent: ReferenceAgentConfig | undefined, given: string | string[] | undefined): boolean {
    if (typeof given !== 'string' || given === '') return false;
    const expected = agent?.apiKey ?? this.defaultApiKey;
    return expected === undefined || expected === given;
  }
}
