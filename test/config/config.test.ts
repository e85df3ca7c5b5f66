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
});
