/** Options and results of a simulated call (see TwilioCall). */
import type { CallIdentity } from './call-params.js';
import type { CallerAudio } from './caller-audio.js';
import type { MediaStreamCaller } from './media-stream-caller.js';
import type { SignatureMode } from './webhook-signer.js';
import type { DialCallStatus } from './dial-runner.js';
import type { FarEnds } from './far-end.js';

export type CallEndHow = 'hangup' | 'end-of-twiml' | 'caller-hangup' | 'completed-by-api' | 'rejected' | 'error';

export interface CallEnded {
  how: CallEndHow;
  detail: string;
  atMs: number;
  /** The Twilio error code a real call would log (11200, 12100, 12300, …). */
  twilioError?: number;
  /** HTTP status of the failing webhook, for 'rejected'. */
  status?: number;
}

export interface DialOutcome {
  status: 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';
  durationSec: number;
}

export interface TwilioCallOptions {
  identity: CallIdentity;
  authToken: string;
  /** How webhooks are signed (default 'valid'). */
  signature?: SignatureMode;
  /** How stream upgrades are signed (default 'valid'). */
  streamSignature?: SignatureMode;
  /** What the caller says on the first stream. */
  callerAudio?: CallerAudio;
  keepStreaming?: boolean;
  /** 0 (default): Say/Play/Pause/Dial take no time; 1: they take their real duration. */
  verbTimeScale?: number;
  /**
   * Legacy: what a <Dial> reports to its action URL (default completed, 0 s) without dialing
   * anything. Used only when `farEnds` is not given.
   */
  dialOutcome?: DialOutcome;
  /** When given, <Dial> really dials each <Number> through these far ends (dial-runner.ts). */
  farEnds?: FarEnds;
  /** Real ms per Twilio-second for <Dial timeout>, <Gather timeout>, timeLimit: 1000 × timeScale (default 1). */
  timeScale?: number;
  /** What this call's party presses at its n-th <Gather> (undefined = nothing; the Gather times out). */
  gatherInput?: (index: number) => string | undefined;
  /** DialCallStatus reported when a whisper declines (default 'no-answer'). */
  whisperDeclineStatus?: DialCallStatus;
  onStream?: (stream: MediaStreamCaller, index: number) => void;
  /** The number's call status callback: gets CallStatus=completed with CallDuration when the call ends. */
  statusCallback?: string;
  /** Guard against Redirect loops (Twilio stops at about 100 consecutive redirects). */
  maxDocuments?: number;
}
