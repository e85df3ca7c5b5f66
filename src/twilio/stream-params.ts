import twilio from 'twilio';
import type { Config } from '../../config/index.js';
import { toWebSocketUrl } from './signature.js';
import { issueStreamToken, STREAM_TOKEN_PARAM } from './stream-token.js';

export const STREAM_PATH = '/twilio/media';
export const STREAM_ENDED_PATH = '/twilio/stream-ended';

/**
 * TwiML connecting a call to our media WebSocket. The call's context travels
 * in `<Parameter>`s (Twilio forbids query strings on the stream URL), sealed by
 * a stream token bound to the CallSid.
 */
export function connectStreamTwiml(config: Config, callSid: string, context: Record<string, string>): string {
  const params = { ...context };
  params[STREAM_TOKEN_PARAM] = issueStreamToken(config.streamToken.secret, { callSid, params }, config.streamToken.ttlSeconds);
  const r = new twilio.twiml.VoiceResponse();
  const stream = r
    .connect({ action: config.publicUrl + STREAM_ENDED_PATH })
    .stream({ url: toWebSocketUrl(config.publicUrl) + STREAM_PATH });
  for (const [name, value] of Object.entries(params)) stream.parameter({ name, value });
  return r.toString();
}

export function rejectTwiml(reason: 'busy' | 'rejected'): string {
  const r = new twilio.twiml.VoiceResponse();
  r.reject({ reason });
  return r.toString();
}
