import type { CallLeg } from './call-leg.js';
import type { EndReason } from './end-reason.js';

/** What the registry and the API know of any call in progress: an agent conversation or a broadcast. */
export interface LiveCall {
  readonly id: string;
  readonly leg: CallLeg;
  readonly direction: 'inbound' | 'outbound';
  readonly state: string;
  readonly startedAt: number;
  end(reason: EndReason, detail?: string): Promise<void>;
  /** Outbound calls with answering machine detection. */
  onAnsweringMachine?(answeredBy: string): void;
  /** The API's view of the call. */
  describe(withTranscript: boolean): Record<string, unknown>;
}
