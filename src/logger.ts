import { pino, type DestinationStream } from 'pino';

import type { Logger } from 'pino';
export type { Logger } from 'pino';

/**
 * Paths that may carry secrets. pino replaces them before serialisation, so a
 * careless `log.info({ config })` cannot leak a token.
 */
export const REDACT_PATHS = [
  'authToken', '*.authToken', 'apiKey', '*.apiKey', 'secret', '*.secret', 'token', '*.token',
  'signedUrl', '*.signedUrl', 'signed_url', '*.signed_url', 'password', '*.password',
  'req.headers.authorization', 'req.headers["x-twilio-signature"]', 'req.headers["xi-api-key"]',
  'headers.authorization', 'headers["xi-api-key"]', 'headers["x-twilio-signature"]',
  '*.*.password',
  // SDP can carry SRTP master keys (RFC 4568 a=crypto inline:…): never log it whole.
  'sdp', '*.sdp', 'localSdp', '*.localSdp', 'remoteSdp', '*.remoteSdp', 'answerSdp', '*.answerSdp', 'offerSdp', '*.offerSdp',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'voice-bridge' } },
    destination,
  );
}
