/**
 * Baseline for "the round trip the bridge adds": the thinnest possible relay
 * on the same path (caller -> relay -> agent -> relay -> caller), with none of
 * the bridge's work: no signature or token checks, no transcoding, no pacing,
 * no framing, no metrics. Media payloads are copied between the two JSON
 * shapes as they arrive (agent in `ulaw_8000`: the caller's μ-law bytes go
 * through untouched).
 *
 * With an agent in `pcm_16000` it is the thinnest relay that speaks that
 * format: G.711 through the same lookup tables the bridge uses, 8 → 16 kHz by
 * repeating each sample and 16 → 8 kHz by keeping every other one (no
 * filter: images and aliases the bridge's resampler removes stay in). It
 * tells what the format's traffic costs (4× larger messages, base64 and JSON
 * of them) apart from the bridge's filtering and call handling.
 *   node --import tsx bench/bridge/relay-process.ts <agentUrl> <agentId> [ulaw_8000|pcm_16000]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { mulawToPcm, pcmToMulaw } from '../../media/g711.js';
import type { FromServer } from './messages.js';

const [agentUrl = '', agentId = 'bench', format = 'ulaw_8000'] = process.argv.slice(2);
if (format !== 'ulaw_8000' && format !== 'pcm_16000') throw new Error(`relay: unknown agent format ${format}`);
const pcm = format === 'pcm_16000';
const pcm8 = new Int16Array(4096);
const pcm16 = new Int16Array(8192);
const codes = Buffer.alloc(4096);

/** Caller μ-law base64 → PCM16 16 kHz base64, each sample twice. */
function up(payload: string): string {
  const n = codes.write(payload, 'base64');
  mulawToPcm(codes, pcm8, n);
  for (let i = 0; i < n; i++) pcm16[2 * i] = pcm16[2 * i + 1] = pcm8[i]!;
  return Buffer.from(pcm16.buffer, 0, n * 4).toString('base64');
}

/** Agent PCM16 16 kHz base64 → μ-law base64, every other sample. */
function down(audio: string): string {
  const raw = Buffer.from(audio, 'base64');
  const samples = new Int16Array(raw.buffer, raw.byteOffset, raw.length >> 1);
  const n = samples.length >> 1;
  for (let i = 0; i < n; i++) pcm8[i] = samples[2 * i]!;
  pcmToMulaw(pcm8, codes, n);
  return codes.toString('base64', 0, n);
}
const agentWs = `${agentUrl.replace(/^http/, 'ws')}/v1/convai/conversation?agent_id=${encodeURIComponent(agentId)}`;

const server = createServer((req, res) => {
  // Any POST is the voice webhook; answer with a stream back to us (no <Connect action>: the call ends with the stream).
  req.resume();
  req.on('end', () => {
    const { port } = server.address() as AddressInfo;
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="ws://127.0.0.1:${port}/twilio/media"/></Connect></Response>`);
  });
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on('connection', (twilio) => {
  let streamSid = '';
  let agent: WebSocket | undefined;
  let agentOpen = false;
  const early: string[] = [];
  twilio.on('error', () => undefined);
  twilio.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { event: string; streamSid?: string; media?: { payload: string } };
    if (msg.event === 'media') {
      const out = `{"user_audio_chunk":"${pcm ? up(msg.media!.payload) : msg.media!.payload}"}`;
      if (agentOpen) agent!.send(out);
      else early.push(out);
    } else if (msg.event === 'start') {
      streamSid = msg.streamSid ?? '';
      agent = new WebSocket(agentWs, { perMessageDeflate: false });
      agent.on('error', () => twilio.close());
      agent.on('open', () => {
        agent!.send('{"type":"conversation_initiation_client_data"}');
        agentOpen = true;
        for (const m of early.splice(0)) agent!.send(m);
      });
      agent.on('message', (raw) => {
        const ev = JSON.parse(String(raw)) as { type: string; audio_event?: { audio_base_64: string }; ping_event?: { event_id: number } };
        if (ev.type === 'audio') {
          const audio = pcm ? down(ev.audio_event!.audio_base_64) : ev.audio_event!.audio_base_64;
          twilio.send(`{"event":"media","streamSid":"${streamSid}","media":{"payload":"${audio}"}}`);
        }
        else if (ev.type === 'ping') agent!.send(`{"type":"pong","event_id":${ev.ping_event!.event_id}}`);
      });
      agent.on('close', () => twilio.close());
    } else if (msg.event === 'stop') {
      agent?.close();
    }
  });
  twilio.on('close', () => agent?.close());
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` } satisfies FromServer);
});
const stop = (): void => {
  for (const c of wss.clients) c.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGTERM', stop);
process.once('disconnect', stop);
