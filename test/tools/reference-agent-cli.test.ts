/** Reference agent CLI: argument parsing and WAV loading for the first message. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../media/wav.js';
import { parseCli } from '../../tools/reference-agent/main.js';

const dir = mkdtempSync(join(tmpdir(), 'reference-agent-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reference agent CLI', () => {
  it('builds one agent from the flags', async () => {
    const options = await parseCli([
      '--port', '9000', '--agent-id', 'demo', '--format', 'ulaw_8000', '--output-format', 'pcm_24000',
      '--mode', 'scripted', '--reply', 'one', '--reply', 'two', '--reply-after-ms', '500', '--require-auth', '--api-key', 'k',
    ]);
    expect(options).toMatchObject({ port: 9000, host: '127.0.0.1' });
    expect(options.agents).toEqual([
      expect.objectContaining({
        agentId: 'demo', requireAuth: true, apiKey: 'k', inputFormat: 'ulaw_8000', outputFormat: 'pcm_24000', mode: 'scripted',
        replies: [{ text: 'one', afterUserAudioMs: 500 }, { text: 'two', afterUserAudioMs: 500 }],
      }),
    ]);
  });

  it('loads a stereo WAV first message as mono PCM16', async () => {
    const stereo = new Int16Array([100, 300, -200, -400, 7, 9]);
    const path = join(dir, 'hello.wav');
    writeFileSync(path, encodeWav({ sampleRate: 22050, encoding: 'pcm16', data: stereo, channels: 2 }));
    const { agents } = await parseCli(['--first-message', path, '--first-message-text', 'Hi']);
    expect(agents[0]!.firstMessage!.text).toBe('Hi');
    expect(agents[0]!.firstMessage!.audio).toEqual({ pcm: new Int16Array([200, -300, 8]), sampleRate: 22050 });
  });

  it('rejects unknown formats, modes and flags', async () => {
    await expect(parseCli(['--format', 'alaw_8000'])).rejects.toThrow(/unknown audio format alaw_8000/);
    await expect(parseCli(['--mode', 'chat'])).rejects.toThrow(/--mode/);
    await expect(parseCli(['--port', '-1'])).rejects.toThrow(/--port/);
    await expect(parseCli(['--bogus'])).rejects.toThrow();
  });
});
