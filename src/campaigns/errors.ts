import { BridgeError } from '../errors.js';

/** Campaign API errors: a code, an HTTP status (400/404/409), and the offending field when there is one. */
export class CampaignError extends BridgeError {
  constructor(code: string, message: string, httpStatus: 400 | 404 | 409 | 413 | 500, readonly field?: string, details?: Record<string, unknown>) {
    super(code, message, httpStatus, details);
    this.name = 'CampaignError';
  }
}

export const notFound = (what: string, id: string): CampaignError => new CampaignError('not_found', `${what} ${id} not found`, 404);
