/**
 * Answering machine detection as Twilio reports it (protocols.md §3.3): which `AnsweredBy`
 * value, after how long (`MachineDetectionDuration`, ms).
 *
 * - `Enable`: human | machine_start | fax | unknown, as soon as Twilio knows.
 * - `DetectMessageEnd`: human | machine_end_beep | machine_end_silence | machine_end_other | fax | unknown,
 *   a machine only once its greeting has ended.
 * - Detection that would outlast `MachineDetectionTimeout` gives `unknown` at the timeout.
 *
 * Simulated decision times (real ms; a far end's `amdMs` overrides): human 500; fax 300;
 * machine with Enable: min(greeting, speech threshold); machine with DetectMessageEnd: the greeting.
 */
import type { AnsweringFarEnd } from './far-end.js';

export type MachineDetection = 'Enable' | 'DetectMessageEnd';

export type AnsweredBy =
  | 'human'
  | 'machine_start'
  | 'machine_end_beep'
  | 'machine_end_silence'
  | 'machine_end_other'
  | 'fax'
  | 'unknown';

export interface AmdSettings {
  mode: MachineDetection;
  /** `MachineDetectionTimeout` already converted to real ms. */
  timeoutMs: number;
  /** `MachineDetectionSpeechThreshold` already converted to real ms. */
  speechThresholdMs: number;
}

export interface AmdResult {
  answeredBy: AnsweredBy;
  durationMs: number;
}

export function detectAnswer(fe: AnsweringFarEnd, s: AmdSettings): AmdResult {
  let r: AmdResult;
  if (fe.kind === 'human') r = { answeredBy: 'human', durationMs: fe.amdMs ?? 500 };
  else if (fe.kind === 'fax') r = { answeredBy: 'fax', durationMs: fe.amdMs ?? 300 };
  else if (s.mode === 'Enable') r = { answeredBy: 'machine_start', durationMs: fe.amdMs ?? Math.min(fe.greetingMs, s.speechThresholdMs) };
  else r = { answeredBy: `machine_end_${fe.greetingEnd ?? 'beep'}`, durationMs: fe.amdMs ?? fe.greetingMs };
  return r.durationMs > s.timeoutMs ? { answeredBy: 'unknown', durationMs: s.timeoutMs } : r;
}
