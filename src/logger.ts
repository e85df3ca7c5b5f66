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
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'voice-bridge' } },
    destination,
  );
}
