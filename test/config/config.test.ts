import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/index.js';

describe('config', () => {
  it('starts on embedded defaults with no settings at all', () => {
    const c = parseConfig({});
    expect(c.port).toBe(8080);
    expect(c.publicUrl).toBe('http://localhost:8080');
    expect(c.twilio.validateSignatures).toBe(true);
    expect(c.elevenlabs.apiUrl).toBe('https://api.elevenlabs.io');
    expect(c.streamToken.ephemeral).toBe(true);
  });

  it('reads the public settings and normalises URLs', () => {
    const c = parseConfig({
      PORT: '9000', PUBLIC_URL: 'https://bridge.example.com/', TWILIO_AUTH_TOKEN: 'secret-token-123',
      ELEVENLABS_API_URL: 'http://127.0.0.1:7000', ELEVENLABS_AGENT_ID: 'agent', LOG_LEVEL: 'debug',
      TWILIO_SIGNATURE_VALIDATION: 'false',
    });
    expect(c.publicUrl).toBe('https://bridge.example.com');
    expect(c.elevenlabs.apiUrl).toBe('http://127.0.0.1:7000');
    expect(c.twilio.validateSignatures).toBe(false);
    expect(c.streamToken.ephemeral).toBe(false);
  });

  it('reports every invalid setting together', () => {
    try {
      parseConfig({ PORT: 'abc', PUBLIC_URL: 'ftp://x', LOG_LEVEL: 'loud', TWILIO_ACCOUNT_SID: 'nope' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'PUBLIC_URL', 'LOG_LEVEL', 'TWILIO_ACCOUNT_SID']) expect(problems).toContain(name);
    }
  });

  it('names the variable, its value and what was expected; secrets only by length', () => {
    try {
      parseConfig({ PORT: 'abc', LOG_LEVEL: 'loud', CAMPAIGN_CONCURRENCY_SHARE: '3', API_TOKEN: 'short-secret', ELEVENLABS_API_URL: 'nope' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'PORT="abc": expected a number',
        'ELEVENLABS_API_URL="nope": expected a valid url',
        'API_TOKEN=(hidden, 12 characters): must be at least 16 characters',
        'CAMPAIGN_CONCURRENCY_SHARE="3": expected a value of at most 1',
        'LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
      ].sort((a, b) => order(a) - order(b)));
      expect((err as ConfigError).message).not.toContain('short-secret');
    }
  });

  it('refuses AGENT_FAILURE_POLICY=transfer without a transfer target', () => {
    expect(() => parseConfig({ AGENT_FAILURE_POLICY: 'transfer' })).toThrow(/AGENT_FAILURE_TRANSFER_TO/);
    expect(parseConfig({ AGENT_FAILURE_POLICY: 'transfer', AGENT_FAILURE_TRANSFER_TO: 'desk' }).callPolicy.agentFailure).toMatchObject({ policy: 'transfer', transferTo: 'desk' });
  });
});

/** Problems come in the schema's field order. */
const FIELD_ORDER = ['PORT', 'LOG_LEVEL', 'ELEVENLABS_API_URL', 'API_TOKEN', 'CAMPAIGN_CONCURRENCY_SHARE'];
const order = (line: string) => FIELD_ORDER.indexOf(line.split(/[=:]/)[0]!);
