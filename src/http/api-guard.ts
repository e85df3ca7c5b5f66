import express, { type RequestHandler } from 'express';
import { sendError } from './errors.js';

/**
 * Every API path. The token check runs only on these, so an unknown path is a
 * JSON 404 with or without credentials (not a 401 that hides whether it exists).
 */
export const API_ROUTES = [
  '/calls', '/calls/:id', '/calls/:id/transfer', '/calls/:id/hangup', '/calls/:id/message',
  '/campaigns', '/campaigns/validate', '/campaigns/:id', '/campaigns/:id/recipients',
  '/campaigns/:id/cancel', '/campaigns/:id/retry', '/campaigns/:id/pause', '/campaigns/:id/resume',
  '/dnc', '/dnc/:phone', '/events',
];

/** Routes that take a file upload (multipart/form-data) as well as JSON. */
const UPLOAD_ROUTES = new Set(['/campaigns', '/campaigns/validate']);

/** A request body that is neither JSON nor (where a file is taken) multipart is refused with 415, not misread as empty. */
export const requireJsonBody: RequestHandler = (req, res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return next();
  const types = UPLOAD_ROUTES.has(req.path) ? ['application/json', '+json', 'multipart/form-data'] : ['application/json', '+json'];
  if (req.is(types)) return next();
  sendError(res, 415, 'unsupported-media-type', `send the body as ${types.includes('multipart/form-data') ? 'application/json or multipart/form-data' : 'application/json'}`);
};

/** Authentication and body checks for the API paths; everything else passes by untouched. */
export function guardApi(auth: RequestHandler): express.Router {
  const router = express.Router();
  router.all(API_ROUTES, auth, requireJsonBody);
  return router;
}

/** The last handler: any path nobody answered is a JSON 404. */
export const notFoundJson: RequestHandler = (req, res) => {
  sendError(res, 404, 'not-found', `no route ${req.method} ${req.path}`);
};
