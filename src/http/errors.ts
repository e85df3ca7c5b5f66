import type { ErrorRequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import { BridgeError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Every API error has this shape: `{ error: { code, message, field? } }`. */
export function sendError(res: Response, status: number, code: string, message: string, field?: string): void {
  res.status(status).json({ error: { code, message, ...(field ? { field } : {}) } });
}

/** Maps thrown errors (validation, BridgeError, body parser) to JSON answers. */
export function apiErrorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof ZodError) {
      const issue = err.issues[0]!;
      return sendError(res, 400, 'invalid-request', issue.message, issue.path.join('.') || undefined);
    }
    if (err instanceof BridgeError) return sendError(res, err.httpStatus, err.code, err.message, err.details?.field as string | undefined);
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (status >= 500) log.error({ err: err?.message }, 'request failed');
    const code = status === 413 ? 'payload-too-large' : status >= 500 ? 'internal' : 'bad-request';
    sendError(res, status, code, status >= 500 ? 'internal error' : String(err?.message ?? 'bad request'));
  };
}
