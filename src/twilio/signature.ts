import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import twilio from 'twilio';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export interface SignatureSettings {
  publicUrl: string;
  authToken?: string;
  validate: boolean;
}

/** `https://host/p` → `wss://host/p`; Twilio signs the stream upgrade over the ws(s) URL (§1.4). */
export function toWebSocketUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

type Verdict = 'ok' | 'disabled' | 'no-token' | 'missing' | 'invalid';

function check(s: SignatureSettings, header: string | string[] | undefined, url: string, params: Record<string, unknown>): Verdict {
  if (!s.validate) return 'disabled';
  if (!s.authToken) return 'no-token';
  if (typeof header !== 'string' || header.length === 0) return 'missing';
  return twilio.validateRequest(s.authToken, header, url, params) ? 'ok' : 'invalid';
}

/**
 * Express middleware for Twilio webhooks: validates X-Twilio-Signature over
 * PUBLIC_URL + the path and query Twilio requested, with the form body as
 * parsed (unknown fields included: they are part of the signature).
 */
export function twilioWebhookAuth(s: SignatureSettings, log: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const url = s.publicUrl + req.originalUrl;
    const verdict = check(s, req.headers['x-twilio-signature'], url, (req.body ?? {}) as Record<string, unknown>);
    if (verdict === 'ok' || verdict === 'disabled') return next();
    metrics.rejected.inc({ source: 'twilio-webhook', reason: verdict });
    if (verdict === 'no-token') {
      log.error('TWILIO_AUTH_TOKEN is not set, so Twilio webhooks cannot be validated; rejecting');
      res.status(503).type('text/plain').send('webhook validation is not configured');
      return;
    }
    log.warn({ path: req.path, verdict }, 'rejected webhook with bad signature');
    res.status(403).type('text/plain').send('invalid signature');
  };
}

/** Validates the Media Stream upgrade request before the WebSocket is accepted. */
export function verifyStreamUpgrade(s: SignatureSettings, req: IncomingMessage, streamUrl: string): Verdict {
  return check(s, req.headers['x-twilio-signature'], streamUrl, {});
}
