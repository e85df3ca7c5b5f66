/**
 * Baseline for "the round trip the bridge adds": the thinnest possible relay
 * on the same path (caller -> relay -> agent -> relay -> caller), with none of
 * the bridge's work: no signature or token checks, no transcoding, no pacing,
 * no framing, no metrics. Media payloads are copied between the two JSON
 * shapes as they arrive. Only meaningful with an agent whose input and output
 * formats are equal (it echoes the caller's μ-law bytes untouched).
 *   node --import tsx bench/bridge/relay-process.ts <agentUrl> <agentId>
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { FromServer } from './messages.js';

const [agentUrl = '', agentId = 'bench'] = process.argv.slice(2);
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
      const out = `{"user_audio_chunk":"${msg.media!.payload}"}`;
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
        if (ev.type === 'audio') twilio.send(`{"event":"media","streamSid":"${streamSid}","media":{"payload":"${ev.audio_event!.audio_base_64}"}}`);
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
