import type { WebSocket } from 'ws';
import type { Config } from '../../config/index.js';
import type { MediaClock } from '../../sip/media/media-clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { parseTwilioMessage, type StreamStart } from './media-stream-protocol.js';
import { STREAM_TOKEN_PARAM, verifyStreamToken } from './stream-token.js';
import { TwilioLeg } from './twilio-leg.js';

export interface StreamAcceptorDeps {
  config: Config;
  clock: MediaClock;
  log: Logger;
  metrics: Metrics;
  /** Called synchronously with the new leg; must attach a handler before returning. */
  onCall: (leg: TwilioLeg, start: StreamStart, log: Logger) => void;
  hasRoom: () => boolean;
}

/** Close code for policy violations (RFC 6455 §7.4.1). */
const POLICY = 1008;

/**
 * Runs the Media Stream handshake on a freshly upgraded socket: waits for
 * `start`, checks the stream token and account, and only then creates the leg.
 * Nothing is sent to Twilio and no agent is contacted before that.
 */
export function acceptTwilioStream(ws: WebSocket, deps: StreamAcceptorDeps): void {
  const { config, metrics } = deps;
  let log = deps.log;
  const close = (reason: string, detail: string): void => {
    clearTimeout(timer);
    ws.removeListener('message', onMessage);
    metrics.rejected.inc({ source: 'twilio-stream', reason });
    log.warn({ reason, detail }, 'closing media stream before start');
    ws.close(POLICY, reason);
  };
  const timer = setTimeout(() => close('start-timeout', `no start within ${config.limits.startTimeoutMs} ms`), config.limits.startTimeoutMs);
  const onMessage = (data: unknown, isBinary: boolean): void => {
    const parsed = isBinary ? undefined : parseTwilioMessage(String(data));
    if (!parsed?.ok) {
      metrics.rejected.inc({ source: 'twilio-stream', reason: parsed?.code ?? 'binary-frame' });
      return;
    }
    const msg = parsed.message;
    if (msg.event === 'connected') return;
    if (msg.event !== 'start') {
      metrics.rejected.inc({ source: 'twilio-stream', reason: 'before-start' });
      return;
    }
    log = deps.log.child({ callSid: msg.start.callSid, streamSid: msg.start.streamSid });
    const refusal = refuse(msg.start, deps);
    if (refusal) return close(refusal.reason, refusal.detail);
    clearTimeout(timer);
    ws.removeListener('message', onMessage);
    ws.removeListener('close', onEarlyClose);
    const leg = new TwilioLeg(ws, msg.start, { clock: deps.clock, leadMs: config.media.playoutLeadMs, log, metrics });
    deps.onCall(leg, msg.start, log);
  };
  const onEarlyClose = (): void => clearTimeout(timer);
  ws.on('message', onMessage);
  ws.once('close', onEarlyClose);
  ws.on('error', (err) => log.debug({ err: err.message }, 'media stream socket error before start'));
}

function refuse(start: StreamStart, deps: StreamAcceptorDeps): { reason: string; detail: string } | undefined {
  const { config } = deps;
  if (config.twilio.validateSignatures) {
    const token = start.customParameters[STREAM_TOKEN_PARAM];
    const check = verifyStreamToken(config.streamToken.secret, token, { callSid: start.callSid, params: start.customParameters });
    if (!check.ok) return { reason: `token-${check.reason}`, detail: 'stream token rejected' };
  }
  if (config.twilio.accountSid && start.accountSid !== config.twilio.accountSid) {
    return { reason: 'wrong-account', detail: `stream for account ${start.accountSid}` };
  }
  if (!deps.hasRoom()) return { reason: 'capacity', detail: 'bridge at capacity' };
  return undefined;
}
