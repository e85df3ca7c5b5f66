/**
 * Micro-benchmark of the bridge's per-frame work beyond the socket library:
 * one 20 ms caller frame in (Twilio `media` message → CallSession →
 * `user_audio_chunk`) and its echo back (agent `audio` event → Downlink →
 * pacer → Twilio `media` message), through the real TwilioLeg, CallSession and
 * ElevenLabs link on socket doubles that deliver messages as `ws` does (a
 * Buffer per message) and whose `send` only counts. The same frames go through
 * the bench's bare relay (bench/bridge/relay-process.ts: JSON.parse and a
 * template per message) for comparison. Many calls are interleaved, so the
 * code and data touched per frame do not all stay in the CPU caches.
 *
 *   npx tsx bench/bridge-path.ts [--calls 100] [--format ulaw_8000|pcm_16000]
 *
 * Prints the median CPU-µs per frame pair (one message each way) over timed
 * batches, for the bridge and for the relay's handlers, interleaved.
 */
import { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { parseConfig } from '../config/index.js';
import { ElevenLabsAgentLink } from '../src/agent/elevenlabs-agent.js';
import { PolicyResolver } from '../src/call/call-policy.js';
import { CallSession } from '../src/call/call-session.js';
import { Metrics } from '../src/metrics.js';
import { TwilioLeg } from '../src/twilio/twilio-leg.js';
import { MediaClock } from '../sip/media/media-clock.js';

const { values: v } = parseArgs({
  options: {
    calls: { type: 'string', default: '100' },
    format: { type: 'string', default: 'ulaw_8000' },
    batches: { type: 'string', default: '31' },
  },
});
const CALLS = Number(v.calls);
const FORMAT = v.format!;
const BATCHES = Number(v.batches);
const ROUNDS_PER_BATCH = Math.max(5, Math.round(20_000 / CALLS));

/** The socket surface both sides use; `send` counts bytes so the work cannot be optimised away. */
class SocketDouble extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  bufferedAmount = 0;
  sentBytes = 0;
  last = '';
  send(text: string): void {
    this.sentBytes += text.length;
    this.last = text;
  }
  close(): void {}
  terminate(): void {}
}

const silentLog = pino({ level: 'silent' });
let fakeNow = 0;

/** Twilio's serialisation of a media message (tools/twilio-standin/stream-wire.ts). */
function twilioMedia(streamSid: string, seq: number, payload: string): Buffer {
  return Buffer.from(JSON.stringify({
    event: 'media', sequenceNumber: String(seq),
    media: { track: 'inbound', chunk: String(seq), timestamp: String(seq * 20), payload }, streamSid,
  }));
}

/** The reference agent's audio event (tools/reference-agent/wire.ts). */
function agentAudio(base64: string, eventId: number): Buffer {
  return Buffer.from(JSON.stringify({ type: 'audio', audio_event: { audio_base_64: base64, event_id: eventId } }));
}

/** 50 different caller frames (a tone with noise), μ-law, and the agent's echo of each in FORMAT. */
function frames(): { ulaw: string[]; echo: string[] } {
  const ulaw: string[] = [];
  const echo: string[] = [];
  let seed = 7;
  for (let f = 0; f < 50; f++) {
    const bytes = Buffer.alloc(160);
    const pcm = Buffer.alloc(640);
    for (let i = 0; i < 160; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[i] = (seed >>> 24) & 0xff;
    }
    for (let i = 0; i < 320; i++) pcm.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * (f * 320 + i)) / 16000)), i * 2);
    ulaw.push(bytes.toString('base64'));
    echo.push(FORMAT === 'ulaw_8000' ? bytes.toString('base64') : pcm.toString('base64'));
  }
  return { ulaw, echo };
}

interface Path {
  twilio: SocketDouble;
  agent: SocketDouble;
  streamSid: string;
}

async function bridgeCall(n: number, policy: ReturnType<PolicyResolver['resolve']>, metrics: Metrics, clock: MediaClock): Promise<Path> {
  const twilio = new SocketDouble();
  const agent = new SocketDouble();
  const sid = (p: string) => p + String(n).padStart(32, '0');
  const start = {
    streamSid: sid('MZ'), callSid: sid('CA'), accountSid: sid('AC'), tracks: ['inbound'], customParameters: {},
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  };
  const leg = new TwilioLeg(twilio as unknown as WebSocket, start, { clock, leadMs: 200, log: silentLog, metrics, now: () => fakeNow });
  const link = new ElevenLabsAgentLink(
    agent as unknown as WebSocket,
    { type: 'metadata', conversationId: `conv-${n}`, inputFormat: FORMAT, outputFormat: FORMAT },
    silentLog,
  );
  const session = new CallSession({
    id: `call-${n}`, direction: 'inbound', from: '+15550001111', to: '+15550002222', agentId: 'bench',
    leg, policy, connectAgent: async () => link, log: silentLog, metrics, watchdogMs: 3_600_000,
  });
  session.start();
  await new Promise((r) => setImmediate(r));
  if (session.state !== 'active') throw new Error(`call ${n} is ${session.state}`);
  return { twilio, agent, streamSid: start.streamSid };
}

/** bench/bridge/relay-process.ts's two message handlers, verbatim in what they do per message. */
function relayCall(n: number): Path {
  const twilio = new SocketDouble();
  const agent = new SocketDouble();
  const streamSid = 'MZ' + String(n).padStart(32, '0');
  twilio.on('message', (data: Buffer) => {
    const msg = JSON.parse(String(data)) as { event: string; streamSid?: string; media?: { payload: string } };
    if (msg.event === 'media') agent.send(`{"user_audio_chunk":"${msg.media!.payload}"}`);
  });
  agent.on('message', (raw: Buffer) => {
    const ev = JSON.parse(String(raw)) as { type: string; audio_event?: { audio_base_64: string }; ping_event?: { event_id: number } };
    if (ev.type === 'audio') twilio.send(`{"event":"media","streamSid":"${streamSid}","media":{"payload":"${ev.audio_event!.audio_base_64}"}}`);
    else if (ev.type === 'ping') agent.send(`{"type":"pong","event_id":${ev.ping_event!.event_id}}`);
  });
  return { twilio, agent, streamSid };
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function main(): Promise<void> {
  const config = parseConfig({ TWILIO_SIGNATURE_VALIDATION: 'false' });
  const policy = new PolicyResolver(config).resolve('bench');
  const metrics = new Metrics();
  const clock = new MediaClock();
  const bridge: Path[] = [];
  const relay: Path[] = [];
  for (let n = 0; n < CALLS; n++) {
    bridge.push(await bridgeCall(n, policy, metrics, clock));
    relay.push(relayCall(n));
  }
  const { ulaw, echo } = frames();
  // Messages as they arrive from the sockets; built ahead (the generator and agent do that work, not the bridge).
  const inTwilio = bridge.map((p) => ulaw.map((u, k) => twilioMedia(p.streamSid, k + 1, u)));
  const inAgent = echo.map((e, k) => agentAudio(e, k + 1));
  let seq = 0;
  const round = (paths: Path[]): void => {
    const k = seq++ % 50;
    fakeNow += 20;
    for (let c = 0; c < paths.length; c++) {
      const p = paths[c]!;
      p.twilio.emit('message', inTwilio[c]![k], false);
      p.agent.emit('message', inAgent[k], false);
    }
  };
  const batch = (paths: Path[]): number => {
    const t0 = cpuMicros();
    for (let r = 0; r < ROUNDS_PER_BATCH; r++) round(paths);
    return (cpuMicros() - t0) / (ROUNDS_PER_BATCH * paths.length);
  };
  for (let w = 0; w < 5; w++) {
    batch(bridge);
    batch(relay);
  }
  const b: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < BATCHES; i++) {
    b.push(batch(bridge));
    r.push(batch(relay));
  }
  if (FORMAT === 'ulaw_8000') {
    // μ-law relay: what the bridge puts on both sockets must be what the bare relay does, byte for byte.
    round(bridge);
    seq--;
    fakeNow -= 20;
    round(relay);
    for (let c = 0; c < CALLS; c++) {
      for (const side of ['twilio', 'agent'] as const) {
        if (bridge[c]![side].last !== relay[c]![side].last) throw new Error(`call ${c}: the bridge sent ${bridge[c]![side].last.slice(0, 80)}… to ${side}, the relay ${relay[c]![side].last.slice(0, 80)}…`);
      }
    }
  }
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const sent = bridge.reduce((s, p) => s + p.twilio.sentBytes + p.agent.sentBytes, 0);
  const relaySent = relay.reduce((s, p) => s + p.twilio.sentBytes + p.agent.sentBytes, 0);
  console.log(`${CALLS} calls, agent ${FORMAT}, ${BATCHES} batches of ${ROUNDS_PER_BATCH} rounds; CPU-µs per frame pair (median):`);
  console.log(`  bridge ${med(b).toFixed(2)}   relay ${med(r).toFixed(2)}   difference ${(med(b) - med(r)).toFixed(2)}   (bytes sent: bridge ${sent}, relay ${relaySent})`);
  process.exit(0);
}

void main();
