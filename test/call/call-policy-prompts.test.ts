/**
 * Text prompts: the PolicyResolver speaks them with the bridge's real TTS
 * engines (espeak-ng here; ElevenLabs pointed at a closed port for failure).
 */
import { createServer } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { PolicyResolver } from '../../src/call/call-policy.js';
import { createTtsService } from '../../src/tts/tts-service.js';
import { haveTool } from '../support/tools.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: 'silent' });

function resolverFor(env: Record<string, string>): { resolver: PolicyResolver; close: () => void } {
  const config = parseConfig({ TWILIO_SIGNATURE_VALIDATION: 'false', ...env });
  const tts = createTtsService(config.tts, { elevenlabs: config.elevenlabs });
  return { resolver: new PolicyResolver(config, tts, log), close: () => tts.close() };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe.skipIf(!haveTool('espeak-ng'))('text prompts (espeak-ng)', () => {
  it('a configured fallback text is spoken at warm-up and used as the agent-failure fallback', async () => {
    const { resolver, close } = resolverFor({ TTS_ENGINE: 'espeak', AGENT_FALLBACK_TEXT: 'One moment please.' });
    await resolver.warmUp();
    const fallback = resolver.resolve('any-agent').agentFailure.fallback;
    expect(fallback.name).toMatch(/^tts: One moment/);
    expect(fallback.durationMs).toBeGreaterThan(500);
    close();
  });

  it('a text first seen in a call override is synthesized then, and used from the next call on', async () => {
    const { resolver, close } = resolverFor({ TTS_ENGINE: 'espeak' });
    const overrides = { silenceGoodbyeText: 'Thank you for calling.', silenceEndCallTimeoutSeconds: 5 };
    expect(resolver.resolve('a', overrides).silenceGoodbye).toBeUndefined();
    const clip = await waitFor(() => resolver.resolve('a', overrides).silenceGoodbye, { everyMs: 50, what: 'the goodbye synthesized' });
    expect(clip.durationMs).toBeGreaterThan(500);
    close();
  });
});

describe('text prompts when the TTS engine fails', () => {
  it('warm-up does not throw and calls fall back to the built-in tone', async () => {
    const port = await closedPort();
    const { resolver, close } = resolverFor({
      TTS_ENGINE: 'elevenlabs', ELEVENLABS_API_KEY: 'k', TTS_VOICE_ID: 'v', TTS_HTTP_FALLBACK: 'false',
      ELEVENLABS_API_URL: `http://127.0.0.1:${port}`, AGENT_FALLBACK_TEXT: 'One moment please.',
    });
    await expect(resolver.warmUp()).resolves.toBeUndefined();
    expect(resolver.resolve('any-agent').agentFailure.fallback.name).toBe('built-in tone');
    close();
  });
});
