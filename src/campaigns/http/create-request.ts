import { z } from 'zod';
import { importJson, importRecipients, ImportFileError, type ImportResult } from '../import/index.js';
import { CampaignError } from '../errors.js';
import { dialSettingsInput, toDialSettings, type DialSettings } from '../settings.js';
import type { BroadcastSettings } from '../../../config/index.js';
import { missingVariables } from '../../broadcast/template.js';

/** Multipart forms send every field as text: accept "true"/"false" and comma lists there too. */
const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => ['true', '1', 'yes', 'on'].includes(v))]);
const list = z.union([z.array(z.string()), z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))]);

const createFields = dialSettingsInput.extend({
  name: z.string().trim().min(1).max(200),
  type: z.enum(['agent', 'broadcast']).default('agent'),
  /** Required for agent campaigns; for broadcasts, the agent a menu key may connect to. */
  agent_id: z.string().trim().min(1).max(200).optional(),
  /** ISO 8601 time, epoch ms, or "now" (default). */
  schedule: z.union([z.literal('now'), z.coerce.number().int().positive(), z.iso.datetime({ offset: true })]).optional(),
  strict: flag.optional(),
  default_region: z.string().regex(/^[A-Za-z]{2}$/, 'a two-letter country code').optional(),
  retry_on: list.pipe(dialSettingsInput.shape.retry_on.unwrap()).optional(),
  window: z.union([dialSettingsInput.shape.window, z.literal('').transform(() => null)]).optional(),
  recipients: z.array(z.unknown()).optional(),
});

export interface CreateRequest {
  name: string;
  type: 'agent' | 'broadcast';
  agentId: string | null;
  settings: DialSettings;
  scheduledAt: number | null;
  imported: ImportResult;
}

export interface UploadedFile {
  buffer: Buffer;
  originalname: string;
}

/** Validates the fields, then imports the recipients (JSON `recipients` or an uploaded CSV/XLSX/JSON file). */
export async function parseCreateRequest(body: unknown, file: UploadedFile | undefined, defaultRegion: string | undefined): Promise<CreateRequest> {
  const parsed = createFields.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CampaignError('invalid_field', `${issue.path.join('.') || 'body'}: ${issue.message}`, 400, issue.path.join('.') || undefined);
  }
  const f = parsed.data;
  if (f.type === 'agent' && !f.agent_id) throw new CampaignError('invalid_field', 'agent_id: required for agent campaigns', 400, 'agent_id');
  if (f.type === 'broadcast' && !f.broadcast) throw new CampaignError('invalid_field', 'broadcast: required for broadcast campaigns', 400, 'broadcast');
  if (!file && !f.recipients) throw new CampaignError('no_recipients', 'send recipients as a JSON array or upload a file (field "file")', 400, 'recipients');
  const options = { defaultRegion: f.default_region ?? defaultRegion, strict: f.strict ?? false };
  const imported = await importOrThrow(() => (file ? importRecipients({ data: file.buffer, filename: file.originalname }, options) : importJson(f.recipients, options)));
  if (f.type === 'broadcast') requireTemplateVariables(imported, f.broadcast!, options.strict);
  return { name: f.name, type: f.type, agentId: f.agent_id ?? null, settings: toDialSettings(f), scheduledAt: scheduleOf(f.schedule), imported };
}

/**
 * A broadcast row lacking a variable its message uses is invalid (with its row
 * number), never called with a hole in the sentence. Strict mode rejects the file.
 */
function requireTemplateVariables(imported: ImportResult, b: BroadcastSettings, strict: boolean): void {
  const templates = [b.message, b.voicemail_message].filter((t): t is string => Boolean(t));
  const kept: ImportResult['recipients'] = [];
  for (const r of imported.recipients) {
    const missing = [...new Set(templates.flatMap((t) => missingVariables(t, r.variables)))];
    if (missing.length === 0) kept.push(r);
    else imported.errors.push({ rowNumber: r.rowNumber, code: 'missing_variable', reason: `no value for ${missing.map((m) => `{{${m}}}`).join(', ')}` });
  }
  if (strict && kept.length < imported.recipients.length) {
    throw new CampaignError('rejected', 'rows lack message variables (strict)', 400, 'recipients', { rowErrors: imported.errors });
  }
  imported.recipients = kept;
  imported.errors.sort((a, b2) => a.rowNumber - b2.rowNumber);
}

async function importOrThrow(run: () => ImportResult | Promise<ImportResult>): Promise<ImportResult> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ImportFileError) {
      throw new CampaignError(err.code, err.message, 400, 'recipients', { rowErrors: [...err.rowErrors], duplicates: [...err.duplicates] });
    }
    throw err;
  }
}

function scheduleOf(schedule: string | number | undefined): number | null {
  if (schedule === undefined || schedule === 'now') return null;
  return typeof schedule === 'number' ? schedule : Date.parse(schedule);
}
