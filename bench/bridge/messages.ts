/** IPC between bench/run.ts and its child processes (agent, relay, load generators). */
import type { Histogram } from './stats.js';

export interface LoadStart {
  type: 'start';
  /** PUBLIC_URL of the system under test (bridge or baseline relay). */
  targetUrl: string;
  authToken: string;
  accountSid: string;
  /** Calls this process places. */
  calls: number;
  /** This process's calls are interleaved with the others': call j starts at (j * stride + offset) * spacingMs. */
  stride: number;
  offset: number;
  spacingMs: number;
  /** How much caller audio to have queued (the call never runs out of it). */
  audioSeconds: number;
  /**
   * Soak: keep constant memory (forget each call's sent/heard history every
   * few seconds) and skip the round-trip analysis, which needs the history.
   */
  soak?: boolean;
  /** talker: the agent does not echo; measure playout smoothness instead of round trips. */
  agentMode?: 'echo' | 'talker';
}

export type ToLoad = LoadStart | { type: 'window-start' } | { type: 'window-end' } | { type: 'hangup' };

export interface LoadResult {
  type: 'result';
  callsPlaced: number;
  callsConnected: number;
  /** Connected calls whose stream was still open at the end of the window. */
  callsLiveAtWindowEnd: number;
  failures: string[];
  /** Frames the callers sent during the window. */
  windowFramesSent: number;
  /** Round-trip markers (one silent frame per second per call) sent in the window, and those found in what came back. */
  windowMarkersSent: number;
  windowMarkersHeard: number;
  /** Heard markers that matched an already matched one (would mean a round trip > 1 s). */
  duplicateMarkers: number;
  windowBytesSent: number;
  /** Audio bytes that arrived at the callers during the window. */
  windowBytesHeard: number;
  /** Whole calls: frames sent and heard from start to hang-up. */
  totalFramesSent: number;
  totalFramesHeard: number;
  /** Round trip per marker sent in the window: its echo's arrival minus its sending. */
  rtt: Histogram;
  /** Per call: its smallest and its median marker round trip in the window. */
  callMinRtt: Histogram;
  callMedianRtt: Histogram;
  /** Generator health: how late each window frame left vs its drift-corrected due time. */
  lateness: Histogram;
  wireProblems: number;
  clears: number;
  /** Talker: gaps of 40 ms-1 s between consecutive agent audio in the caller's playout (underruns; longer = turn pauses), in the window. */
  playoutGaps: number;
  /** Talker: agent audio the callers heard in the window, ms (all calls). */
  agentAudioMs: number;
  /** CPU of this generator process during the window, ms. */
  windowCpuMs: number;
  windowMs: number;
  hangupMs: number;
}

export type FromLoad = { type: 'ramped'; connected: number; failed: number; rampMs: number } | LoadResult | { type: 'error'; message: string };

export type FromServer = { type: 'ready'; url: string } | { type: 'error'; message: string };
