/**
 * A whole inbound call the way Twilio places it on the bridge: the signed voice webhook
 * (CallStatus=ringing, Direction=inbound; protocols.md §1.1), then whatever TwiML comes back,
 * usually <Connect><Stream> and, once the bridge closes the socket, the rest of the document
 * or the <Connect action> URL.
 */
import type { CallerAudio } from './caller-audio.js';
import type { TwimlStep } from './call-timeline.js';
import { newSid } from './ids.js';
import type { MediaStreamCaller } from './media-stream-caller.js';
import { TwilioCall, type CallEnded, type DialOutcome } from './twilio-call.js';
import type { RequestRecord } from './twiml-fetch.js';
import type { FormParams, SignatureMode } from './webhook-signer.js';
import type { FarEnds } from './far-end.js';
import type { DialCallStatus } from './dial-runner.js';

export interface InboundCallOptions {
  /** The bridge's PUBLIC_URL base, e.g. http://127.0.0.1:8080 (the signature covers this exact URL). */
  bridgeUrl: string;
  authToken: string;
  /** Default '/twilio/voice'. */
  voicePath?: string;
  accountSid?: string;
  from: string;
  to: string;
  callSid?: string;
  extraParams?: FormParams;
  callerAudio?: CallerAudio;
  /** Keep sending μ-law silence after the caller's audio (default true, like a real line). */
  keepStreaming?: boolean;
  /** The caller hangs up after this long (ms from the webhook). */
  hangupAfterMs?: number;
  webhookSignature?: SignatureMode;
  streamSignature?: SignatureMode;
  verbTimeScale?: number;
  dialOutcome?: DialOutcome;
  /** <Dial> really dials these far ends (see TwilioCallOptions.farEnds). */
  farEnds?: FarEnds;
  timeScale?: number;
  whisperDeclineStatus?: DialCallStatus;
  /** What the caller presses at each <Gather>. */
  gatherInput?: (index: number) => string | undefined;
  onStream?: (stream: MediaStreamCaller, index: number) => void;
  /** Called with the engine before the webhook is sent (the REST stand-in registers the call here). */
  onCall?: (call: TwilioCall) => void;
  /** The Twilio number's call status callback URL (CallStatus=completed at the end). */
  statusCallback?: string;
}

export interface SimulatedCall {
  callSid: string;
  accountSid: string;
  /** The first <Connect><Stream>, if the TwiML had one and it was reached. */
  stream: MediaStreamCaller | undefined;
  /** Every stream opened during the call, in order. */
  streams: MediaStreamCaller[];
  twimlSteps: TwimlStep[];
  requests: RequestRecord[];
  ended: Promise<CallEnded>;
  /** The caller hangs up now. */
  hangup(): Promise<CallEnded>;
  /** Live update, as REST `calls(sid).update()` would do it. */
  update: TwilioCall['update'];
  /** What the caller heard on the call timeline (PCM16 8 kHz). */
  heardPcm(): Int16Array;
  /** The underlying engine, for anything not covered above. */
  call: TwilioCall;
}

/**
 * Places the call. Resolves once the first stream is connected (`start` sent), or once the
 * call has ended without one (rejected webhook, TwiML without a stream, upgrade refused).
 */
export async function simulateInboundCall(opts: InboundCallOptions): Promise<SimulatedCall> {
  let resolveFirst: (s: MediaStreamCaller) => void = () => undefined;
  const firstStream = new Promise<MediaStreamCaller>((r) => (resolveFirst = r));
  const call = new TwilioCall({
    identity: {
      callSid: opts.callSid ?? newSid('CA'),
      accountSid: opts.accountSid ?? newSid('AC'),
      from: opts.from,
      to: opts.to,
      direction: 'inbound',
      extraParams: opts.extraParams,
    },
    authToken: opts.authToken,
    signature: opts.webhookSignature,
    streamSignature: opts.streamSignature,
    callerAudio: opts.callerAudio,
    keepStreaming: opts.keepStreaming,
    verbTimeScale: opts.verbTimeScale,
    dialOutcome: opts.dialOutcome,
    farEnds: opts.farEnds,
    timeScale: opts.timeScale,
    whisperDeclineStatus: opts.whisperDeclineStatus,
    gatherInput: opts.gatherInput,
    statusCallback: opts.statusCallback,
    onStream: (s, i) => {
      if (i === 0) resolveFirst(s);
      opts.onStream?.(s, i);
    },
  });
  opts.onCall?.(call);
  // PUBLIC_URL + path, exactly what the bridge rebuilds to check the signature.
  const voiceUrl = opts.bridgeUrl.replace(/\/+$/, '') + (opts.voicePath ?? '/twilio/voice');
  call.start({ url: voiceUrl, method: 'POST' }, 'ringing');
  if (opts.hangupAfterMs !== undefined) {
    const timer = setTimeout(() => void call.hangup(), opts.hangupAfterMs);
    void call.ended.then(() => clearTimeout(timer));
  }
  const streamReady = firstStream.then((s) => s.ready.catch(() => undefined));
  await Promise.race([streamReady, call.ended]);
  return {
    callSid: call.callSid,
    accountSid: call.accountSid,
    get stream() {
      return call.streams[0];
    },
    streams: call.streams,
    twimlSteps: call.twimlSteps,
    requests: call.requests,
    ended: call.ended,
    hangup: () => call.hangup(),
    update: (u) => call.update(u),
    heardPcm: () => call.heardPcm(),
    call,
  };
}
