import { Router, type RequestHandler } from 'express';
import { DIAL_RESULT_PATH, WHISPER_PATH, WHISPER_RESULT_PATH, type TwilioTransfers } from '../transfer/twilio-transfers.js';

/** Twilio's requests during a transfer: the operator's whisper, their key, and the dial result. All signed. */
export function transferRoutes(transfers: TwilioTransfers, auth: RequestHandler): Router {
  const router = Router();
  const field = (body: unknown, name: string): string | undefined => (body as Record<string, string | undefined>)?.[name];
  router.post(`${WHISPER_PATH}/:id`, auth, (req, res) => {
    res.type('text/xml').send(transfers.whisper(String(req.params.id)));
  });
  router.post(`${WHISPER_RESULT_PATH}/:id`, auth, (req, res) => {
    res.type('text/xml').send(transfers.whisperResult(String(req.params.id), field(req.body, 'Digits')));
  });
  router.post(`${DIAL_RESULT_PATH}/:id`, auth, async (req, res) => {
    res.type('text/xml').send(await transfers.dialResult(String(req.params.id), field(req.body, 'DialCallStatus') ?? 'failed'));
  });
  return router;
}
