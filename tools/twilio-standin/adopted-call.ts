/**
 * A call the stand-in did not create through REST but must control through REST, e.g. an
 * inbound call placed with simulateInboundCall: the bridge transfers it with
 * `calls(sid).update({ twiml: '<Response><Dial>…' })`. Status follows the engine:
 * in-progress until it ends, then completed.
 */
import type { AnsweredBy } from './amd.js';
import type { CallDirection, CallStatus } from './call-params.js';
import { monotonicNow } from './frame-clock.js';
import type { RequestRecord } from './twiml-fetch.js';
import type { TwilioCall } from './twilio-call.js';
import type { CallHistoryEntry, CallUpdate, StandinCall, UpdateResult } from './outbound-call.js';

export class AdoptedCall implements StandinCall {
  readonly history: CallHistoryEntry[] = [];
  readonly callbacks: RequestRecord[] = [];
  readonly dateCreated = new Date();
  readonly startTime = this.dateCreated;
  readonly answeredBy: AnsweredBy | undefined = undefined;
  readonly done: Promise<void>;
  status: CallStatus = 'in-progress';
  endTime: Date | undefined;
  durationSec: number | undefined;
  private readonly t0 = monotonicNow();

  constructor(
    readonly engine: TwilioCall,
    private readonly identity: { from: string; to: string; direction: CallDirection },
    onStatus: (call: StandinCall, status: CallStatus) => void,
  ) {
    this.history.push({ atMs: 0, event: 'in-progress' });
    onStatus(this, 'in-progress');
    this.done = engine.ended.then((ended) => {
      this.endTime = new Date();
      this.durationSec = Math.round((this.endTime.getTime() - this.startTime.getTime()) / 1000);
      this.status = 'completed';
      this.history.push({ atMs: monotonicNow() - this.t0, event: 'completed', detail: { how: ended.how } });
      onStatus(this, 'completed');
    });
  }

  get sid(): string {
    return this.engine.callSid;
  }
  get accountSid(): string {
    return this.engine.accountSid;
  }
  get direction(): CallDirection {
    return this.identity.direction;
  }
  get to(): string {
    return this.identity.to;
  }
  get from(): string {
    return this.identity.from;
  }

  update(u: CallUpdate): UpdateResult {
    if (this.status !== 'in-progress') {
      if (u.status) return { ok: true };
      return { ok: false, code: 21220, message: 'Call is not in-progress. Cannot redirect.' };
    }
    this.history.push({ atMs: monotonicNow() - this.t0, event: 'update', detail: { ...u } });
    if (u.status === 'canceled') return { ok: true };
    this.engine.update(u);
    return { ok: true };
  }

  async hangup(): Promise<void> {
    await this.engine.hangup();
    await this.done;
  }
}
