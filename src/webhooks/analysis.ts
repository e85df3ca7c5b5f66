import type { JsonValue } from '../store/index.js';

export type AnalysisResult =
  | { state: 'done'; analysis: JsonValue; transcript: JsonValue[] | undefined }
  /** Not finished yet, or a failure that may pass (5xx, 429, network, timeout): ask again while the wait lasts. */
  | { state: 'pending'; detail: string }
  /** It will not come (key refused, conversation unknown, not JSON): send without it now. */
  | { state: 'unavailable'; detail: string; status?: number };

type Obj = Record<string, JsonValue>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * ElevenLabs' own record of the conversation (`GET /v1/convai/conversations/{id}`,
 * protocols.md §4.10; its `status` goes in-progress → processing → done, or
 * failed): its `analysis` (summary, success, evaluation, data collection) and
 * the agent-side transcript, once done. Bounded by `timeoutMs`. The API key
 * goes in the `xi-api-key` header only; nothing returned here contains it.
 */
export async function fetchConversationAnalysis(
  api: { apiUrl: string; apiKey: string }, conversationId: string, timeoutMs: number,
): Promise<AnalysisResult> {
  let res: Response;
  let body: unknown;
  try {
    res = await fetch(`${api.apiUrl}/v1/convai/conversations/${encodeURIComponent(conversationId)}`, {
      headers: { 'xi-api-key': api.apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
    });
    body = res.ok ? await res.json() : await res.arrayBuffer().then(() => undefined);
  } catch (err) {
    const e = err as Error;
    if (e instanceof SyntaxError) return { state: 'unavailable', detail: 'answer is not JSON' };
    return { state: 'pending', detail: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.message };
  }
  if (res.status === 429 || res.status >= 500) return { state: 'pending', detail: `HTTP ${res.status}` };
  if (!res.ok) return { state: 'unavailable', detail: `HTTP ${res.status}`, status: res.status };
  if (!isObj(body)) return { state: 'unavailable', detail: 'answer is not a JSON object' };
  if (body.status !== 'done' && body.status !== 'failed') return { state: 'pending', detail: `status ${String(body.status)}` };
  const transcript = Array.isArray(body.transcript) && body.transcript.length > 0 && body.transcript.every(isObj) ? body.transcript : undefined;
  return { state: 'done', analysis: isObj(body.analysis) ? body.analysis : null, transcript };
}

/** The event body with ElevenLabs' analysis (and its transcript, when it has one) filled in. */
export function withAnalysis(body: string, result: Extract<AnalysisResult, { state: 'done' }>): string {
  const event = JSON.parse(body) as { data: Record<string, JsonValue> };
  event.data.analysis = result.analysis;
  if (result.transcript) event.data.transcript = result.transcript;
  return JSON.stringify(event);
}
