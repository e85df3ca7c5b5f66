/**
 * Twilio stand-in: plays Twilio's part against the bridge under test (voice webhooks,
 * TwiML execution, Media Streams, <Dial> with simulated far ends and whispers) and serves the
 * REST Calls resource (rest-server.ts: create/update/fetch, status callbacks, AMD).
 * Independent of the bridge's own protocol code on purpose.
 */
export { simulateInboundCall, type InboundCallOptions, type SimulatedCall } from './call-simulator.js';
export { TwilioCall, type CallEnded, type CallEndHow, type DialOutcome, type TwilioCallOptions } from './twilio-call.js';
export { MediaStreamCaller, type MediaStreamCallerOptions, type StreamClosed, type StreamCloser } from './media-stream-caller.js';
export type { SentFrame, ReceivedRecord, MarkEcho, ProblemRecord, StreamRecorder } from './stream-recorder.js';
export type { TwimlStep } from './call-timeline.js';
export { callParams, type CallIdentity, type CallStatus, type CallDirection } from './call-params.js';
export { parseTwiml, TwimlError, type TwimlDocument, type TwimlVerb, type TwimlStream, type TwimlNumber } from './twiml-reader.js';
export type { TwimlSource, RequestRecord } from './twiml-fetch.js';
export { signForm, signUpgrade, sendSignedRequest, type SignatureMode, type FormParams } from './webhook-signer.js';
export { newSid, isSid } from './ids.js';
export { FRAME_BYTES, ULAW_SILENCE, type CallerAudio } from './caller-audio.js';
export { startTwilioStandin, type TwilioStandin, type TwilioStandinOptions, type RestRequestRecord, type RestFault } from './rest-server.js';
export type { StandinCall, CallHistoryEntry, CallUpdate, CreateCallRequest, StatusCallbackEvent } from './outbound-call.js';
export { OutboundCall } from './outbound-call.js';
export { farEndsByNumber, type FarEndBehaviour, type FarEnds } from './far-end.js';
export { detectAnswer, type AnsweredBy, type MachineDetection } from './amd.js';
export type { DialRecord, DialLeg, WhisperRecord, DialCallStatus } from './dial-runner.js';
export type { TwimlGather } from './twiml-reader.js';
