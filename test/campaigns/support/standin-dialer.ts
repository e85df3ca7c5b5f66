/**
 * Test adapters that place campaign calls on the Twilio stand-in through the
 * official twilio client (src/twilio/rest-client.ts), as the bridge's own
 * Twilio dialer will: status callbacks and async AMD results come back to a
 * small local HTTP receiver that publishes them as CallEvents, and the
 * machine policy 'hangup' is carried out with a REST update.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallEvents } from '../../../src/calls/call-events.js';
import type { DialPacer } from '../../../src/calls/dial-pacer.js';
import type { OutboundCallRequest, OutboundDialer, PlacedCall } from '../../../src/calls/outbound-dialer.js';
import type { DialIntent, OutboundCallControl, OutboundCallLookup, ProviderCall } from '../../../src/campaigns/reconcile-port.js';
import type { CallStatus } from '../../../src/store/schema.js';
import { createTwilioRestClient, type TwilioRestClient } from '../../../src/twilio/rest-client.js';

export interface StandinAccess {
  url: string;
  accountSid: string;
  authToken: string;
}

export function standinClient(s: StandinAccess): TwilioRestClient {
  return createTwilioRestClient({ accountSid: s.accountSid, authToken: s.authToken, apiUrl: s.url, timeoutMs: 10_000 });
}

export interface CallbackReceiver {
  readonly url: string;
  readonly port: number;
  /** Callbacks received, for assertions. */
  readonly received: number;
  close(): Promise<void>;
}

/** Turns signed status / AMD callbacks into CallEvents; hangs up machines when the call's policy says so. */
export async function startCallbackReceiver(events: CallEvents, client: TwilioRestClient, port = 0): Promise<CallbackReceiver> {
  let received = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received++;
      const url = new URL(req.url ?? '/', 'http://receiver');
      const form = new URLSearchParams(body);
      const ids = { callId: url.searchParams.get('call') ?? '', campaignId: url.searchParams.get('campaign'), recipientId: Number(url.searchParams.get('recipient')) };
      const providerCallId = form.get('CallSid') ?? undefined;
      const answeredBy = form.get('AnsweredBy') ?? undefined;
      if (url.pathname === '/amd') {
        events.emit({ ...ids, providerCallId, status: 'in-progress', answeredBy, at: Date.now() });
        if (answeredBy?.startsWith('machine') && url.searchParams.get('onMachine') === 'hangup' && providerCallId) {
          void client.calls(providerCallId).update({ status: 'completed' }).catch(() => undefined);
        }
      } else {
        const raw = form.get('CallStatus') ?? '';
        const status = (raw === 'initiated' ? 'queued' : raw) as CallStatus;
        events.emit({ ...ids, providerCallId, status, answeredBy, at: Date.now() });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    get received() {
      return received;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface StandinDialerOptions {
  from?: string;
  /** How long an answered call talks (TwiML <Pause>, scaled by the stand-in's verbTimeScale). */
  talkSeconds?: number;
  /** The account's dial pacing, taken before each create as the bridge's TwilioDialer does. */
  pacer?: DialPacer;
}

const AMD_MODE = { detect: 'Enable', 'detect-message-end': 'DetectMessageEnd' } as const;

export class StandinDialer implements OutboundDialer {
  constructor(
    private readonly client: TwilioRestClient,
    private readonly receiverUrl: string,
    private readonly opts: StandinDialerOptions = {},
  ) {}

  async dial(r: OutboundCallRequest): Promise<PlacedCall> {
    const callId = randomUUID();
    const q = new URLSearchParams({ call: callId, campaign: r.campaignId ?? '', recipient: String(r.recipientId ?? '') });
    const machine = (r.policy as { answeringMachine?: { action?: string } } | undefined)?.answeringMachine?.action ?? 'hangup';
    const amd = r.machineDetection && r.machineDetection !== 'off' ? AMD_MODE[r.machineDetection] : undefined;
    const slot = await this.opts.pacer?.next();
    // The ledger slot this dial took (for rate assertions; the stand-in records the create's parameters).
    if (slot !== undefined) q.set('admitted', String(slot));
    const call = await this.client.calls.create({
      to: r.to,
      from: r.from ?? this.opts.from ?? '+15005550006',
      twiml: `<Response><Pause length="${this.opts.talkSeconds ?? 3}"/><Hangup/></Response>`,
      statusCallback: `${this.receiverUrl}/status?${q}`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      timeout: r.ringTimeoutSeconds ?? 10,
      ...(amd ? { machineDetection: amd, asyncAmd: 'true', asyncAmdStatusCallback: `${this.receiverUrl}/amd?${q}&onMachine=${machine}` } : {}),
    });
    return { callId, providerCallId: call.sid };
  }
}

/** Lists the stand-in's calls to a number created since a time: what Twilio's `calls.list({ to, startTimeAfter })` gives. */
export type CallsTo = (to: string, sinceMs: number) => Promise<{ sid: string; status: CallStatus; answeredBy?: string; createdMs: number }[]>;

/** Reconcile and hang-up port on the stand-in: fetch by CallSid, else by destination and time. */
export class StandinCallLookup implements OutboundCallLookup, OutboundCallControl {
  constructor(
    private readonly client: TwilioRestClient,
    private readonly callsTo: CallsTo,
  ) {}

  async findCall(intent: DialIntent): Promise<ProviderCall | null> {
    if (intent.providerCallId) {
      const c = await this.client.calls(intent.providerCallId).fetch();
      return { providerCallId: c.sid, status: c.status as CallStatus, answeredBy: c.answeredBy ?? undefined, callId: intent.callId ?? undefined };
    }
    const earlier = new Set(intent.earlierProviderCallIds);
    const found = (await this.callsTo(intent.to, intent.intentAt - 1000)).filter((c) => !earlier.has(c.sid)).sort((a, b) => b.createdMs - a.createdMs)[0];
    return found ? { providerCallId: found.sid, status: found.status, answeredBy: found.answeredBy } : null;
  }

  /** `canceled` only stops a queued/ringing call; one answered meanwhile needs `completed` (§3.4). */
  async hangup(call: { providerCallId: string }): Promise<void> {
    const ref = this.client.calls(call.providerCallId);
    if ((await ref.fetch()).status !== 'in-progress') await ref.update({ status: 'canceled' });
    if ((await ref.fetch()).status === 'in-progress') await ref.update({ status: 'completed' });
  }
}
