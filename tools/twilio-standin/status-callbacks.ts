/**
 * Fire-and-forget status callbacks, as Twilio sends them: signed like any webhook (§1.3,
 * §3.2), their answers ignored. They are tracked so a call can wait for them before it
 * reports itself ended, which keeps tests free of stray sockets.
 */
import type { RequestRecord } from './twiml-fetch.js';
import { sendSignedRequest, type FormParams, type SignatureMode } from './webhook-signer.js';

export class StatusCallbacks {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly authToken: string,
    private readonly record: (r: RequestRecord) => void,
    private readonly nowMs: () => number,
    private readonly signature?: SignatureMode,
  ) {}

  send(url: string, params: FormParams, method: 'GET' | 'POST' = 'POST'): void {
    const atMs = this.nowMs();
    const p = sendSignedRequest({ authToken: this.authToken, url, params, method, signature: this.signature, timeoutMs: 5000 })
      .then((res) => res.status, () => 0)
      .then((status) => this.record({ atMs, url, method, params, status }))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

/** `<Stream statusCallback>` fields (protocols.md §1.3, marked unverified there). */
export function streamEventParams(
  ids: { accountSid: string; callSid: string; streamSid: string; name?: string },
  event: 'stream-started' | 'stream-stopped' | 'stream-error',
  error?: string,
): FormParams {
  const params: FormParams = {
    AccountSid: ids.accountSid,
    CallSid: ids.callSid,
    StreamSid: ids.streamSid,
    StreamName: ids.name ?? ids.streamSid,
    StreamEvent: event,
    Timestamp: new Date().toISOString(),
  };
  if (error) params.StreamError = error;
  return params;
}
