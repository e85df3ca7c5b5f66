import type { EventEmitter } from 'node:events';
import type { BroadcastOutcome } from '../broadcast/broadcast-outcome.js';
import type { BroadcastSession } from '../broadcast/broadcast-session.js';
import type { CallRegistry } from '../call/call-registry.js';
import type { CallSession } from '../call/call-session.js';
import type { Recordings } from '../recording/recordings.js';
import type { CallLog } from './call-log.js';

/** The bookkeeping after a call's teardown, the same for Twilio and SIP legs. */
export interface CallEndings {
  /** An agent call ended: leave the registry, finish its recording, write its record, then emit `call-ended`. */
  readonly onEnded: (s: CallSession) => void;
  /** A broadcast ended: leave the registry, finish its recording, write its outcome, then emit `broadcast-ended`. */
  readonly onBroadcastEnded: (s: BroadcastSession, outcome: BroadcastOutcome) => void;
}

export function callEndings(deps: { registry: CallRegistry; recordings: Recordings; callLog: CallLog; events: EventEmitter }): CallEndings {
  const { registry, recordings, callLog, events } = deps;
  return {
    onEnded: (s) => {
      registry.remove(s.id);
      // The recording is finished first: its link goes into the record and the post-call event.
      void recordings.finish(s.id)
        .then((r) => callLog.ended(s, r ? { recording: { file: r.file, durationMs: r.durationMs, bytes: r.bytes } } : {}))
        .then(() => events.emit('call-ended', s));
    },
    onBroadcastEnded: (s, outcome) => {
      if (registry.get(s.id) === s) registry.remove(s.id);
      // Handed to an agent: the recording goes on, and the agent call's end finishes it.
      const recording = s.state === 'handed-over' ? Promise.resolve(undefined) : recordings.finish(s.id);
      void recording
        .then((r) => callLog.broadcastEnded(s, outcome, r ? { recording: { file: r.file, durationMs: r.durationMs, bytes: r.bytes } } : {}))
        .then(() => events.emit('broadcast-ended', s));
    },
  };
}
