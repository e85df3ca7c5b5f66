/**
 * Shared pieces of the SIP recording tests: a bridge with RECORDING=on and
 * SIP behind a fake Srf (signaling only; RTP is real UDP), the codecs of the
 * simulated phone, and reading a recording with ffmpeg (an outside reader).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import { G722Encoder } from '../../media/g722.js';
import { startHarness, type Harness } from '../support/bridge-harness.js';
import { FakeSrf } from '../sip/fake-srf.js';
import type { PhoneCodec } from './rtp-phone.js';

export const CALLED = '+15550001000';

export async function sipHarness(agentConfig: Parameters<typeof startHarness>[0], ports: string, env: Record<string, string> = {}): Promise<{ harness: Harness; srf: FakeSrf; dir: string }> {
  const srf = new FakeSrf();
  const dir = mkdtempSync(join(tmpdir(), 'bridge-sip-rec-'));
  writeFileSync(join(dir, 'sip.json'), JSON.stringify({
    trunks: [{ id: 'carrier', inbound: { allowedCidrs: ['203.0.113.0/24'] }, outbound: { host: 'sip.carrier.example', port: 5060, transport: 'udp' } }],
    routes: { byNumber: { [CALLED]: 'agent_test' } }, outboundTrunk: 'carrier',
  }));
  const [min, max] = ports.split('-');
  const harness = await startHarness(agentConfig, {
    RECORDING: 'on', DRACHTIO_HOST: 'fake', SIP_CONFIG_FILE: join(dir, 'sip.json'), SIP_PUBLIC_ADDRESS: '127.0.0.1', RTP_BIND_ADDRESS: '127.0.0.1',
    RTP_PORT_MIN: min!, RTP_PORT_MAX: max!, DATA_DIR: dir, ...env,
  }, {}, { sipSrf: srf });
  return { harness, srf, dir };
}

/** PCMU through an outside implementation (alawmulaw), not the bridge's tables. */
export const pcmu: PhoneCodec = {
  payloadType: 0,
  perMs: 8,
  silence: 0xff,
  encode: (pcm) => {
    const bytes = alawmulaw.mulaw.encode(pcm);
    return Array.from({ length: Math.ceil(bytes.length / 160) }, (_, k) => {
      const p = new Uint8Array(160).fill(0xff);
      p.set(bytes.subarray(k * 160, k * 160 + 160));
      return p;
    });
  },
  decode: (payloads) => payloads.map((p) => alawmulaw.mulaw.decode(p)),
};

/** G.722 encoded by the bridge's encoder (the phone's own), decoded by ffmpeg's decoder (outside the project). */
export const g722: PhoneCodec = {
  payloadType: 9,
  perMs: 16,
  silence: 0xff,
  encode: (pcm) => {
    const enc = new G722Encoder();
    return Array.from({ length: Math.ceil(pcm.length / 320) }, (_, k) => {
      const frame = new Int16Array(320);
      frame.set(pcm.subarray(k * 320, k * 320 + 320));
      return enc.encode(frame).slice();
    });
  },
  decode: (payloads) => {
    if (payloads.length === 0) return [];
    const joined = Buffer.concat(payloads.map((p) => Buffer.from(p)));
    const out = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'g722', '-i', 'pipe:0', '-f', 's16le', '-acodec', 'pcm_s16le', 'pipe:1'], { input: joined, maxBuffer: 1 << 28 });
    const pcm = new Int16Array(out.buffer, out.byteOffset, out.length / 2);
    return payloads.map((_, k) => pcm.slice(k * 320, k * 320 + 320));
  },
};

/** The recording as ffprobe sees it, and its two channels as ffmpeg decodes them. */
export function readWithFfmpeg(wav: Uint8Array): { rate: number; channels: number; codec: string; durationMs: number; left: Int16Array; right: Int16Array } {
  const dir = mkdtempSync(join(tmpdir(), 'rec-wav-'));
  const file = join(dir, 'rec.wav');
  writeFileSync(file, wav);
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]).toString()) as {
    streams: Array<{ sample_rate: string; channels: number; codec_name: string; duration: string }>;
  };
  const s = probe.streams[0]!;
  const raw = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', file, '-f', 's16le', '-acodec', 'pcm_s16le', 'pipe:1'], { maxBuffer: 1 << 28 });
  const all = new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
  const left = new Int16Array(all.length / 2);
  const right = new Int16Array(all.length / 2);
  for (let i = 0; i < left.length; i++) {
    left[i] = all[2 * i]!;
    right[i] = all[2 * i + 1]!;
  }
  return { rate: Number(s.sample_rate), channels: s.channels, codec: s.codec_name, durationMs: Number(s.duration) * 1000, left, right };
}
