import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../config/index.js';
import { createBridge, type Bridge, type BridgeDeps } from '../../src/app.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startReferenceAgent, type ReferenceAgent } from '../../tools/reference-agent/reference-agent.js';
import type { ReferenceAgentConfig, ReferenceAgentOptions } from '../../tools/reference-agent/types.js';
import { startTwilioStandin, type TwilioStandin, type TwilioStandinOptions } from '../../tools/twilio-standin/rest-server.js';

export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
export const AGENT_ID = 'agent_test';
export const XI_API_KEY = 'xi-test-key';
export const API_TOKEN = 'test-api-token-0123456789';
export const FROM_NUMBER = '+14155550100';

export interface Harness {
  agent: ReferenceAgent;
  bridge: Bridge;
  /** The Twilio REST stand-in the bridge's REST client talks to. */
  twilio: TwilioStandin;
  config: Config;
  /** The bridge's own store (SQLite in a temp dir). */
  store: Store;
  /** Base URL the simulated Twilio posts to (PUBLIC_URL). */
  bridgeUrl: string;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A real bridge on a loopback port, talking to a real reference agent over WebSockets. */
export async function startHarness(
  agentConfig: Partial<ReferenceAgentConfig> = {},
  env: Record<string, string> = {},
  twilioOptions: Partial<TwilioStandinOptions> = {},
  bridgeDeps: Partial<BridgeDeps> = {},
  /** More agents on the same reference agent server, chosen with `agent_id` on the webhook URL or API. */
  otherAgents: ReferenceAgentConfig[] = [],
  /** Options of the reference agent server itself (e.g. `networkDelay`). */
  agentServer: Partial<ReferenceAgentOptions> = {},
  /** The bridge's logger (default: TEST_LOG_LEVEL, else silent); e.g. one writing to a sink a test reads. */
  log?: Logger,
): Promise<Harness> {
  const twilio = await startTwilioStandin({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, ...twilioOptions });
  const agent = await startReferenceAgent({
    ...agentServer,
    apiKey: XI_API_KEY,
    agents: [{ agentId: AGENT_ID, requireAuth: true, ...agentConfig }, ...otherAgents],
  });
  const port = await freePort();
  const bridgeUrl = `http://127.0.0.1:${port}`;
  const config = parseConfig({
    PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: bridgeUrl, LOG_LEVEL: 'silent',
    TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    ELEVENLABS_API_URL: agent.url, ELEVENLABS_API_KEY: XI_API_KEY, ELEVENLABS_AGENT_ID: AGENT_ID,
    TWILIO_API_URL: twilio.url, TWILIO_FROM_NUMBER: FROM_NUMBER, API_TOKEN,
    ...env,
  });
  const store = await openStore({ dataDir: mkdtempSync(join(tmpdir(), 'bridge-test-')) });
  const bridge = createBridge(config, log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), { store, ...bridgeDeps });
  await bridge.listen();
  return {
    agent, bridge, config, bridgeUrl, twilio, store,
    close: async () => {
      await bridge.close();
      await twilio.close();
      await agent.close();
      await store.close();
    },
  };
}

const WATCHED = new Set(['Timeout', 'TCPSocketWrap', 'TCPServerWrap', 'UDPWrap', 'Immediate']);

/** Handles that keep the event loop alive: timers, sockets, servers. */
export function liveHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (WATCHED.has(r)) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/**
 * Waits until no more handles are alive than in `baseline`; returns what is left over. `waitMs`
 * only bounds a failure (handles closing late on a busy machine are not leaks).
 */
export async function leakedHandles(baseline: Record<string, number>, waitMs = 10_000): Promise<Record<string, number>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = liveHandles();
    const extra = Object.fromEntries(
      Object.entries(now).filter(([k, v]) => v > (baseline[k] ?? 0)).map(([k, v]) => [k, v - (baseline[k] ?? 0)]),
    );
    if (Object.keys(extra).length === 0 || Date.now() > deadline) return extra;
    await new Promise((r) => setTimeout(r, 50));
  }
}
