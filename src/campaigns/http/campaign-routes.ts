import express, { type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { BridgeError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { RECIPIENT_STATUSES, type CampaignStatus, type RecipientStatus } from '../../store/schema.js';
import type { CampaignService } from '../campaign-service.js';
import { CampaignError } from '../errors.js';
import { PhoneNormalizer } from '../import/phone.js';
import { RETRYABLE_STATUSES } from '../settings.js';
import { parseCreateRequest } from './create-request.js';

export interface CampaignRoutesOptions {
  service: CampaignService;
  log: Logger;
  /** For numbers written without +country code (config DEFAULT_REGION). */
  defaultRegion?: string;
  /** Upload size limit. Default 50 MB. */
  maxUploadBytes?: number;
}

type Handler = (req: Request, res: Response) => Promise<unknown>;

/**
 * The campaign API, to mount behind the bearer-token check:
 * POST/GET /campaigns, GET /campaigns/:id[/recipients], POST /campaigns/:id/{cancel,retry,pause,resume},
 * GET/POST /dnc, DELETE /dnc/:phone. Errors: `{ error: { code, message, field? } }` with 400/404/409.
 */
export function campaignRoutes(o: CampaignRoutesOptions): express.Router {
  const router = express.Router();
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: o.maxUploadBytes ?? 50 * 1024 * 1024, files: 1 } });
  const s = o.service;
  const wrap = (h: Handler) => (req: Request, res: Response, next: NextFunction) => void h(req, res).catch(next);
  router.use(express.json({ limit: '20mb' }));

  router.post('/campaigns', upload.single('file'), wrap(async (req, res) => {
    const create = await parseCreateRequest(req.body, req.file, o.defaultRegion);
    const { recipients, errors, duplicates, format } = create.imported;
    if (recipients.length === 0) throw new CampaignError('no_valid_recipients', 'no valid recipient in the list', 400, 'recipients', { rowErrors: errors });
    const created = await s.create(create, recipients);
    res.status(201).json({
      campaign: created.campaign,
      import: { format, accepted: created.accepted, skippedDnc: created.skippedDnc, rejected: errors.length, errors, duplicates },
    });
  }));
  // Validation only: the same checks and report as POST /campaigns, nothing stored or dialled.
  router.post('/campaigns/validate', upload.single('file'), wrap(async (req, res) => {
    const { imported } = await parseCreateRequest(req.body, req.file, o.defaultRegion);
    const onList = await s.doNotCallAmong(imported.recipients.map((r) => r.phoneNumber));
    const doNotCall = imported.recipients.filter((r) => onList.has(r.phoneNumber)).map((r) => ({ rowNumber: r.rowNumber, phoneNumber: r.phoneNumber }));
    res.json({
      valid: imported.recipients.length > doNotCall.length,
      import: {
        format: imported.format, columns: imported.columns, accepted: imported.recipients.length - doNotCall.length,
        skippedDnc: doNotCall.length, rejected: imported.errors.length, errors: imported.errors, duplicates: imported.duplicates, doNotCall,
        sample: imported.recipients.slice(0, 10),
      },
    });
  }));
  router.get('/campaigns', wrap(async (req, res) => res.json({ campaigns: await s.list(statusFilter<CampaignStatus>(req.query.status)) })));
  router.get('/campaigns/:id', wrap(async (req, res) => res.json(await s.status(param(req, 'id')))));
  router.get('/campaigns/:id/recipients', wrap(async (req, res) => {
    const q = pageQuery.parse(req.query);
    const recipients = await s.recipients(param(req, 'id'), { status: statusFilter<RecipientStatus>(q.status, RECIPIENT_STATUSES), afterId: q.after, limit: q.limit });
    res.json({ recipients, next: recipients.length === q.limit ? recipients.at(-1)!.id : null });
  }));
  router.post('/campaigns/:id/cancel', wrap(async (req, res) => res.json(await s.cancel(param(req, 'id'), { hangup: cancelBody.parse(req.body ?? {}).hangup }))));
  router.post('/campaigns/:id/retry', wrap(async (req, res) => {
    const { statuses } = retryBody.parse(req.body ?? {});
    res.json(await s.retry(param(req, 'id'), statuses));
  }));
  router.post('/campaigns/:id/pause', wrap(async (req, res) => res.json(await s.pause(param(req, 'id')))));
  router.post('/campaigns/:id/resume', wrap(async (req, res) => res.json(await s.resume(param(req, 'id')))));
  mountDoNotCall(router, o, wrap);
  router.use(errorHandler(o.log));
  return router;
}

function mountDoNotCall(router: express.Router, o: CampaignRoutesOptions, wrap: (h: Handler) => express.RequestHandler): void {
  const phones = new PhoneNormalizer(o.defaultRegion);
  const e164 = (raw: string): string => {
    const r = phones.normalize(raw);
    if (!r.ok) throw new CampaignError('invalid_phone', r.reason, 400, 'phone_number');
    return r.e164;
  };
  router.get('/dnc', wrap(async (req, res) => {
    const q = z.object({ after: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }).parse(req.query);
    res.json({ entries: await o.service.listDoNotCall(q) });
  }));
  router.post('/dnc', wrap(async (req, res) => {
    const b = dncBody.parse(req.body ?? {});
    const numbers = [...(b.phone_numbers ?? []), ...(b.phone_number ? [b.phone_number] : [])].map(e164);
    if (numbers.length === 0) throw new CampaignError('invalid_field', 'phone_number or phone_numbers is required', 400, 'phone_number');
    res.status(201).json({ added: await o.service.addDoNotCall(numbers, b.reason ?? null), phoneNumbers: numbers });
  }));
  router.delete('/dnc/:phone', wrap(async (req, res) => {
    const number = e164(param(req, 'phone'));
    if (!(await o.service.removeDoNotCall(number))) throw new CampaignError('not_found', `${number} is not on the do-not-call list`, 404);
    res.status(204).end();
  }));
}

const pageQuery = z.object({
  status: z.string().optional(),
  after: z.coerce.number().int().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const cancelBody = z.object({ hangup: z.boolean().optional() });
const retryBody = z.object({ statuses: z.array(z.enum(RETRYABLE_STATUSES)).min(1).optional() });
const dncBody = z.object({ phone_number: z.string().optional(), phone_numbers: z.array(z.string()).max(100_000).optional(), reason: z.string().max(500).optional() });

function param(req: Request, name: string): string {
  return String(req.params[name]);
}

function statusFilter<T extends string>(raw: unknown, allowed?: readonly T[]): T[] | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  const values = raw.split(',').map((v) => v.trim()) as T[];
  const bad = allowed ? values.find((v) => !allowed.includes(v)) : undefined;
  if (bad !== undefined) throw new CampaignError('invalid_field', `unknown status ${bad}`, 400, 'status');
  return values;
}

function errorHandler(log: Logger): express.ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const body = toErrorBody(err);
    if (body.status >= 500) log.error({ err: (err as Error)?.message }, 'campaign API failure');
    res.status(body.status).json({ error: body.error });
  };
}

function toErrorBody(err: unknown): { status: number; error: Record<string, unknown> } {
  if (err instanceof CampaignError) {
    return { status: err.httpStatus, error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}), ...(err.details ?? {}) } };
  }
  if (err instanceof z.ZodError) {
    const issue = err.issues[0]!;
    const field = issue.path.join('.');
    return { status: 400, error: { code: 'invalid_field', message: `${field || 'body'}: ${issue.message}`, ...(field ? { field } : {}) } };
  }
  if (err instanceof multer.MulterError) return { status: err.code === 'LIMIT_FILE_SIZE' ? 413 : 400, error: { code: 'invalid_upload', message: err.message, field: err.field } };
  if (err instanceof BridgeError) return { status: err.httpStatus, error: { code: err.code, message: err.message } };
  const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
  return { status, error: { code: status === 500 ? 'internal' : 'bad_request', message: status === 500 ? 'internal error' : (err as Error).message } };
}
