/**
 * First-words figure: sequential simulated Twilio calls; for each, the time
 * from the stream's `start` (sent as the socket opens) to the first agent
 * media message the caller receives (the bridge sends nothing before the
 * agent's audio). Calls are spaced so that idle connections behave as they
 * would at a few calls per minute per instance.
 */
import { readFileSync } from 'node:fs';
import { simulateInboundCall } from '../../tools/twilio-standin/call-simulator.js';

export interface FirstWordsResult {
  samplesMs: number[];
  p50Ms: number;
  minMs: number;
  maxMs: number;
  failures: number;
  spacingMs: number;
  /** 1-minute load average at the end (the machine is shared). */
  loadavg1: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runFirstWordsCalls(o: { bridgeUrl: string; authToken: string; accountSid: string; calls: number; spacingMs: number }): Promise<FirstWordsResult> {
  const samples: number[] = [];
  let failures = 0;
  for (let i = 0; i < o.calls; i++) {
    const next = sleep(o.spacingMs);
    try {
      const call = await simulateInboundCall({ bridgeUrl: o.bridgeUrl, authToken: o.authToken, accountSid: o.accountSid, from: '+15550001111', to: '+15550002222' });
      const first = await call.stream!.recorder.waitFor((r) => r.event === 'media', 10_000);
      samples.push(first.atMs);
      await call.hangup();
    } catch {
      failures++;
    }
    await next;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    samplesMs: samples, p50Ms: sorted[sorted.length >> 1] ?? NaN, minMs: sorted[0] ?? NaN, maxMs: sorted[sorted.length - 1] ?? NaN,
    failures, spacingMs: o.spacingMs, loadavg1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
  };
}
