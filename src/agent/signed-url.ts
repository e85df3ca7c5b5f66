/**
 * The ElevenLabs signed-URL request (protocols.md §4.1: `GET
 * /v1/convai/conversation/get-signed-url` with `xi-api-key`), over one
 * keep-alive connection pool per process: calls reuse a warm HTTPS
 * connection instead of paying a TCP + TLS handshake each (undici's default
 * pool closes idle sockets after 4 s, so at a few calls a minute every call
 * paid it).
 */
import { Agent, fetch } from 'undici';
import { BridgeError } from '../errors.js';

export interface SignedUrlRequest {
  apiUrl: string;
  apiKey: string;
  agentId: string;
  signal: AbortSignal;
}

let pool: { agent: Agent; keepAliveMs: number } | undefined;

/** The process-wide pool for the agent API (created on first use, with the configured idle time). */
export function agentApiPool(keepAliveMs: number): Agent {
  if (!pool || pool.keepAliveMs !== keepAliveMs) {
    void pool?.agent.close();
    pool = { agent: new Agent({ keepAliveTimeout: keepAliveMs, keepAliveMaxTimeout: keepAliveMs }), keepAliveMs };
  }
  return pool.agent;
}

/** Fetches a fresh signed URL (one per conversation, valid 15 minutes, §4.1). */
export async function fetchSignedUrl(req: SignedUrlRequest, dispatcher: Agent): Promise<string> {
  const agent = encodeURIComponent(req.agentId);
  let res: Awaited<ReturnType<typeof fetch>>;
  try {
    res = await fetch(`${req.apiUrl}/v1/convai/conversation/get-signed-url?agent_id=${agent}`, {
      headers: { 'xi-api-key': req.apiKey },
      signal: req.signal,
      dispatcher,
    });
  } catch (err) {
    throw new BridgeError('agent-signed-url', `signed URL request failed: ${(err as Error).message}`, 502);
  }
  const body = (await res.json().catch(() => undefined)) as { signed_url?: unknown } | undefined;
  if (!res.ok) throw new BridgeError('agent-signed-url', `signed URL request answered ${res.status}`, 502);
  if (typeof body?.signed_url !== 'string') throw new BridgeError('agent-signed-url', 'signed URL response had no signed_url', 502);
  return body.signed_url;
}
