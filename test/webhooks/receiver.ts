/**
 * A post-call webhook receiver as a customer would write it from ElevenLabs'
 * documented recipe (seed "post-call webhooks", protocols.md §4.10), written
 * independently of the bridge's signer: split the header on ',', take `t=`
 * and `v0=`, HMAC-SHA256 the raw body as `${t}.${body}` with the secret,
 * hex, compare; reject `t` older than 30 minutes.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  idempotencyKey: string;
  body: string;
  event: { type: string; event_timestamp: number; data: Record<string, any> };
  signature: string | undefined;
  at: number;
  /** The status this receiver answered. */
  answered: number;
}

export interface ReceiverOptions {
  secret: string;
  /** Status for the n-th request (0-based); 200 when undefined is returned. */
  answer?: (n: number, key: string) => number | undefined;
  /** Delay before answering (to hold requests in flight). */
  delayMs?: number;
  port?: number;
}

/** The documented verification; returns the reason when it fails. */
export function verifyElevenLabsSignature(header: string | undefined, rawBody: string, secret: string, nowMs = Date.now()): string | undefined {
  if (!header) return 'missing signature header';
  const parts = header.split(',');
  const timestamp = parts.find((e) => e.startsWith('t='))?.substring(2);
  const signature = parts.find((e) => e.startsWith('v0='));
  if (!timestamp || !signature) return 'invalid signature format';
  if (Number(timestamp) * 1000 < nowMs - 30 * 60 * 1000) return 'request expired';
  const digest = 'v0=' + crypto.createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  const a = Buffer.from(digest);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return 'invalid signature';
  return undefined;
}

export interface Receiver {
  url: string;
  port: number;
  /** Every request, accepted or not. */
  requests: Received[];
  /** Requests answered 2xx, in arrival order. */
  accepted(): Received[];
  rejectedSignatures: string[];
  /** Highest number of requests in flight at once for one idempotency key. */
  maxConcurrentPerKey: number;
  waitFor(pred: (r: Receiver) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(opts: ReceiverOptions): Promise<Receiver> {
  const requests: Received[] = [];
  const rejectedSignatures: string[] = [];
  const inFlight = new Map<string, number>();
  const waiters = new Set<() => void>();
  let n = 0;
  const r: Receiver = {
    url: '', port: 0, requests, rejectedSignatures, maxConcurrentPerKey: 0,
    accepted: () => requests.filter((q) => q.answered >= 200 && q.answered < 300),
    waitFor: (pred, timeoutMs = 20_000) => new Promise((resolve, reject) => {
      if (pred(r)) return resolve();
      const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`receiver: condition not met in ${timeoutMs} ms (${requests.length} requests)`)); }, timeoutMs);
      const check = (): void => { if (pred(r)) { clearTimeout(timer); waiters.delete(check); resolve(); } };
      waiters.add(check);
    }),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const key = String(req.headers['idempotency-key'] ?? '');
      const signature = req.headers['elevenlabs-signature'] as string | undefined;
      const index = n++;
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      r.maxConcurrentPerKey = Math.max(r.maxConcurrentPerKey, inFlight.get(key)!);
      const finish = (): void => {
        inFlight.set(key, inFlight.get(key)! - 1);
        const bad = verifyElevenLabsSignature(signature, body, opts.secret);
        const status = bad ? 401 : (opts.answer?.(index, key) ?? 200);
        if (bad) rejectedSignatures.push(bad);
        requests.push({ idempotencyKey: key, body, event: JSON.parse(body), signature, at: Date.now(), answered: status });
        res.writeHead(status).end(bad ?? 'ok');
        for (const w of [...waiters]) w();
      };
      if (opts.delayMs) setTimeout(finish, opts.delayMs);
      else finish();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', () => resolve()));
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/hook`;
  return r;
}
