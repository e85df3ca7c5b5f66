/** The human-readable report printed at the end of a simulated call. */
import type { CallEnded } from '../twilio-standin/twilio-call.js';
import type { SimulatedCall } from '../twilio-standin/call-simulator.js';
import type { MediaStreamCaller } from '../twilio-standin/media-stream-caller.js';

function streamLines(s: MediaStreamCaller, i: number): string[] {
  const c = s.recorder.counts();
  const firstAudio = s.recorder.received.find((r) => r.event === 'media');
  const flushed = s.recorder.markEchoes.filter((m) => m.flushed).length;
  const lines = [
    `  stream ${i + 1} ${s.streamSid}: closed by ${s.closedInfo?.by ?? 'nobody (still open)'}` +
      (s.closedInfo ? ` (code ${s.closedInfo.code}${s.closedInfo.reason ? `, "${s.closedInfo.reason}"` : ''})` : ''),
    `    caller sent ${s.recorder.sentFrames.length} frames (${((s.recorder.sentFrames.length * 20) / 1000).toFixed(1)} s)`,
    `    heard ${(c.mediaBytes / 8000).toFixed(2)} s of bridge audio in ${c.mediaMessages} media messages` +
      (firstAudio ? `, first at ${Math.round(firstAudio.atMs)} ms` : ''),
    `    marks: ${c.marks} received, ${s.recorder.markEchoes.length} echoed (${flushed} flushed by clear); clears: ${c.clears}`,
  ];
  if (c.problems > 0) {
    const kinds = [...new Set(s.recorder.problems.map((p) => p.kind))].join(', ');
    lines.push(`    PROTOCOL PROBLEMS from the bridge: ${c.problems} (${kinds})`);
  }
  return lines;
}

export function formatSummary(call: SimulatedCall, ended: CallEnded, heardSamples: number): string {
  const lines = [
    `call ${call.callSid}: ended by ${ended.how} after ${(ended.atMs / 1000).toFixed(2)} s — ${ended.detail}` +
      (ended.twilioError ? ` (Twilio error ${ended.twilioError})` : ''),
    `  TwiML: ${call.twimlSteps.map((s) => s.verb).join(' → ') || '(none executed)'}`,
    `  requests: ${call.requests.map((r) => `${r.method} ${new URL(r.url).pathname} → ${r.status}`).join(', ')}`,
    ...call.streams.flatMap(streamLines),
    `  recording: ${(heardSamples / 8000).toFixed(2)} s on the call timeline`,
  ];
  return lines.join('\n');
}
