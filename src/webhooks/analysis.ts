import type { JsonValue } from '../store/index.js';

export type AnalysisResult =
  | { state: 'done'; analysis: JsonValue; transcript: JsonValue[] | undefined }
  | { state: 'pending' }
  | { state: 'unavailable'; detail: string };

/**
 * ElevenLabs' own record of the conversation (`GET /v1/convai/conversations/{id}`,
 * protocols.md §4.10): its `analysis` (summary, success, data collection) and
 * the agent-side transcript, once its status is `done`. Bounded by `timeoutMs`.
 */
export async function fetchConversationAnalysis(
  api: { apiUrl: string; apiKey: string }, conversationId: string, timeoutMs: number,
): Promise<AnalysisResult> {
  let res: Response;
  try {
    res = await fetch(`${api.apiUrl}/v1/convai/conversations/${encodeURIComponent(conversationId)}`, {
      headers: { 'xi-api-key': api.apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { state: 'unavailable', detail: (err as Error).message };
  }
  if (!res.ok) return { state: 'unavailable', detail: `HTTP ${res.status}` };
  const body = (await res.json().catch(() => undefined)) as { status?: unknown; analysis?: JsonValue; transcript?: unknown } | undefined;
  if (!body || typeof body !== 'object') return { state: 'unavailable', detail: 'not JSON' };
  if (body.status === 'done' || body.status === 'failed') {
    const transcript = Array.isArray(body.transcript) && body.transcript.length > 0 ? (body.transcript as JsonValue[]) : undefined;
    return { state: 'done', analysis: body.analysis ?? null, transcript };
  }
  return { state: 'pending' };
}

/** The event body with ElevenLabs' analysis (and its transcript, when it has one) filled in. */
export function withAnalysis(body: string, result: Extract<AnalysisResult, { state: 'done' }>): string {
  const event = JSON.parse(body) as { data: Record<string, JsonValue> };
  event.data.analysis = result.analysis;
  if (result.transcript) event.data.transcript = result.transcript;
  return JSON.stringify(event);
}
