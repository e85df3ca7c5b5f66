import { Router } from 'express';
import type { JsonValue, Store } from '../store/index.js';
import { BridgeError } from '../errors.js';
import type { Recordings } from './recordings.js';

export interface RecordingRouteDeps {
  store: Store;
  recordings: Recordings;
}

/**
 * `GET /calls/{id}/recording` (a finished call's WAV; express's sendFile
 * answers Range requests, RFC 9110 §14) and `POST /calls/{id}/recording/pause|resume`
 * for the parts a caller must not have recorded (card numbers): both
 * channels are silent meanwhile, and the timeline keeps its length.
 */
export function recordingRoutes(deps: RecordingRouteDeps): Router {
  const router = Router();
  router.get('/calls/:id/recording', async (req, res) => {
    if (deps.recordings.get(req.params.id)) throw new BridgeError('recording-in-progress', 'the call is still being recorded', 409);
    const call = await deps.store.calls.get(req.params.id);
    const recording = call?.metadata?.recording as { file?: JsonValue } | undefined;
    const path = typeof recording?.file === 'string' && call?.endedAt !== null && !call?.purgedAt ? deps.recordings.pathOf(recording.file) : undefined;
    if (!path) throw new BridgeError('not-found', `no recording for call ${req.params.id}`, 404);
    await new Promise<void>((resolve, reject) => {
      res.sendFile(path, { headers: { 'content-type': 'audio/wav' }, acceptRanges: true }, (err) => {
        if (!err) return resolve();
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !res.headersSent) return reject(new BridgeError('not-found', 'the recording file is gone', 404));
        if (res.headersSent) return resolve(); // client went away mid-download
        reject(err);
      });
    });
  });
  for (const action of ['pause', 'resume'] as const) {
    router.post(`/calls/:id/recording/${action}`, (req, res) => {
      const recorder = deps.recordings.get(req.params.id);
      if (!recorder) throw new BridgeError('not-found', `no recording in progress for call ${req.params.id} on this instance`, 404);
      if (action === 'pause') recorder.pause();
      else recorder.resume();
      res.status(200).json({ id: req.params.id, recording: recorder.paused ? 'paused' : 'recording', at_ms: recorder.positionMs });
    });
  }
  return router;
}
