import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeWav, parseWav, pcm16FromBytes } from '../../media/wav.js';
import { parseCli, UsageError } from '../../tools/call-simulator/args.js';
import { callerAudioFromWav } from '../../tools/call-simulator/caller-wav.js';
import { runCli } from '../../tools/call-simulator/main.js';
import { FakeBridge, level, sendMark, sendMedia, ulawTone } from './twilio-standin-fake-bridge.js';
import { eventLoopDelay, waitFor } from '../support/wait.js';

const TOKEN = 'cli-token-0123456789abcdef01234567';

describe('call-simulator args and input', () => {
  it('parses options, repeated params and the env token', () => {
    const o = parseCli(['--bridge', 'http://127.0.0.1:8080', '--seconds', '2.5', '--param', 'A=1', '--param', 'B=x=y'], {
      TWILIO_AUTH_TOKEN: 'envtok',
    });
    expect(o).toMatchObject({ bridge: 'http://127.0.0.1:8080', authToken: 'envtok', seconds: 2.5, params: { A: '1', B: 'x=y' } });
    expect(parseCli(['--help'])).toBeUndefined();
  });

  it('explains bad usage', () => {
    expect(() => parseCli(['--auth-token', 't'], {})).toThrow(/--bridge is required/);
    expect(() => parseCli(['--bridge', 'http://x', '--auth-token', 't', '--seconds', '-1'], {})).toThrow(UsageError);
    expect(() => parseCli(['--bridge', 'http://x'], {})).toThrow(/auth-token/);
    expect(() => parseCli(['--bogus'], {})).toThrow(UsageError);
  });

  it('accepts 8 kHz mono u-law, A-law and PCM16, and points to sox for anything else', () => {
    const ulaw = callerAudioFromWav(encodeWav({ sampleRate: 8000, encoding: 'ulaw', data: new Uint8Array(800) }));
    expect(ulaw.seconds).toBeCloseTo(0.1);
    expect(ulaw.audio.ulaw).toHaveLength(800);
    const alaw = callerAudioFromWav(encodeWav({ sampleRate: 8000, encoding: 'alaw', data: new Uint8Array(80).fill(0xd5) }));
    expect(alaw.audio.pcm8k).toHaveLength(80);
    expect(() => callerAudioFromWav(encodeWav({ sampleRate: 16000, encoding: 'pcm16', data: new Int16Array(10) }))).toThrow(/sox .* -r 8000 -c 1/);
  });
});

describe('call-simulator CLI against a fake bridge', () => {
  let bridge: FakeBridge;
  let dir: string;

  beforeEach(async () => {
    bridge = await new FakeBridge(TOKEN).listen();
    dir = await mkdtemp(join(tmpdir(), 'call-sim-'));
  });

  afterEach(async () => {
    await bridge.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('plays the caller WAV, writes what the caller heard, prints a summary', async () => {
    bridge.twiml.set('/twilio/voice', () => {
      const r = new twilio.twiml.VoiceResponse();
      r.connect().stream({ url: bridge.mediaUrl });
      r.hangup();
      return r.toString();
    });
    // The bridge speaks once 100 ms of the caller's audio are in (6 frames: the 6th is due 100 ms into the stream).
    bridge.onStream = (s) =>
      void s.next('start').then(async (start) => {
        await waitFor(() => s.messages.filter((m) => m.msg.event === 'media').length >= 6, { everyMs: 5, what: '6 caller frames' });
        sendMedia(s, start.streamSid, ulawTone(200));
        sendMark(s, start.streamSid, 'greeting');
      });
    const inPath = join(dir, 'caller.wav');
    const outPath = join(dir, 'heard.wav');
    await writeFile(inPath, encodeWav({ sampleRate: 8000, encoding: 'pcm16', data: new Int16Array(2400).fill(1000) }));
    const logs: string[] = [];
    const lag = eventLoopDelay();
    // The caller hangs up 3 s after placing the call: the webhook and stream set-up take part of that,
    // more on a busy machine, and the bridge's 200 ms must still play after them.
    const code = await runCli(['--bridge', bridge.baseUrl, '--auth-token', TOKEN, '--in', inPath, '--out', outPath, '--seconds', '3'], {
      log: (l) => logs.push(l),
      error: (l) => logs.push(l),
    });
    const { stalledMs } = lag.stop();
    expect(code).toBe(0);
    const out = logs.join('\n');
    expect(out).toMatch(/ended by caller-hangup/);
    expect(out).toMatch(/TwiML: Connect/);
    expect(out).toMatch(/marks: 1 received, 1 echoed \(0 flushed by clear\); clears: 0/);
    expect(out).toMatch(/heard 0\.20 s of bridge audio/);
    const heard = parseWav(await readFile(outPath));
    expect(heard).toMatchObject({ sampleRate: 8000, channels: 1, encoding: 'pcm16' });
    const pcm = pcm16FromBytes(heard.data);
    expect(pcm.length / 8).toBeGreaterThan(700);
    expect(level(pcm, 0, 90)).toBe(0);
    // Exactly the 200 ms tone (1600 loud samples), placed after the 100 ms of caller audio the bridge waited for.
    expect(pcm.filter((v) => Math.abs(v) > 30_000).length).toBe(1600);
    const firstLoud = pcm.findIndex((v) => v !== 0) / 8;
    expect(firstLoud).toBeGreaterThan(95);
    // Webhook + upgrade time: well under 0.5 s, later by as much as this process's loop stalled.
    expect(firstLoud).toBeLessThan(600 + stalledMs);
    // The caller's 300 ms of audio reached the bridge as 15 speech frames.
    const media = bridge.sockets[0]!.messages.filter((m) => m.msg.event === 'media');
    expect(media.length).toBeGreaterThanOrEqual(15);
  });

  it('exits 1 and says so when the bridge rejects the webhook', async () => {
    const logs: string[] = [];
    const code = await runCli(['--bridge', bridge.baseUrl, '--auth-token', 'wrong', '--seconds', '1'], {
      log: (l) => logs.push(l),
      error: (l) => logs.push(l),
    });
    expect(code).toBe(1);
    expect(logs.join('\n')).toMatch(/ended by rejected .*answered 403/);
  });
});
