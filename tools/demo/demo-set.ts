/**
 * The offline demo set: the reference agent (scripted, speaks the ElevenLabs
 * agent protocol), the Twilio stand-in (REST API, TwiML, Media Streams, simulated
 * phones) and the bridge wired to both, with the API token set. No account needed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { createBridge, type Bridge } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startReferenceAgent, type ReferenceAgent } from '../reference-agent/reference-agent.js';
import type { FarEndBehaviour } from '../twilio-standin/far-end.js';
import { DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN } from '../twilio-standin/main.js';
import { startTwilioStandin, type TwilioStandin } from '../twilio-standin/rest-server.js';

export const DEMO_API_TOKEN = 'demo-api-token-0123456789';
export const DEMO_AGENT_ID = 'demo';
export const OPERATOR_NUMBER = '+14155559999';
export const TRANSFER_CALLER = '+14155550301';
export const OPT_OUT_NUMBER = '+14155550202';

/** Who answers the demo's numbers (tools/demo/*.csv). Anyone else: a person who answers after 1 s. */
export const DEMO_FAR_ENDS: Record<string, FarEndBehaviour> = {
  '+14155550107': { kind: 'busy', ringMs: 1500 },
  '+14155550108': { kind: 'no-answer' },
  // The operator accepts the warm transfer's whisper with 1, talks for 4 s and hangs up.
  [OPERATOR_NUMBER]: { kind: 'human', ringMs: 1500, keys: ['1'], hangupAfterMs: 4000 },
  // Broadcast: presses 9 (opt out) once the message has started.
  [OPT_OUT_NUMBER]: { kind: 'human', ringMs: 800, streamKeys: [{ key: '9', afterMs: 2500 }] },
  '+14155550201': { kind: 'human', ringMs: 800, hangupAfterMs: 15_000 },
  '+14155550203': { kind: 'human', ringMs: 800, hangupAfterMs: 15_000 },
};

export interface DemoOptions {
  bridgePort?: number;
  agentPort?: number;
  twilioPort?: number;
  logLevel?: string;
  /** Environment the bridge's settings may also come from (LOG_LEVEL, TTS…); the demo's wiring wins. */
  env?: Record<string, string | undefined>;
}

export interface DemoSet {
  bridge: Bridge;
  agent: ReferenceAgent;
  twilio: TwilioStandin;
  store: Store;
  bridgeUrl: string;
  close(): Promise<void>;
}

export async function startDemo(o: DemoOptions = {}): Promise<DemoSet> {
  const agent = await startReferenceAgent({
    port: o.agentPort ?? 8765,
    agents: [{
      agentId: DEMO_AGENT_ID, requireAuth: false, mode: 'scripted',
      firstMessage: { text: 'Hello, this is the demo agent of voice-bridge. How can I help you today?' },
      replies: [
        { afterUserAudioMs: 2000, userTranscript: 'Hi, I am calling about my order.', text: 'Of course. Your order left the warehouse this morning and arrives tomorrow.' },
        { afterUserAudioMs: 2500, userTranscript: 'Great, thank you.', text: 'You are welcome. Goodbye!', endCall: { closeAfterMs: 500 } },
      ],
    }],
  });
  // Twilio timeouts (ring Timeout, <Dial timeout>) at a fifth of real time: a no-answer takes 6 s, not 30.
  const twilio = await startTwilioStandin({
    port: o.twilioPort ?? 8766, accountSid: DEFAULT_ACCOUNT_SID, authToken: DEFAULT_AUTH_TOKEN, timeScale: 0.2,
    farEnds: (to) => DEMO_FAR_ENDS[to] ?? { kind: 'human', ringMs: 1000 },
  });
  const dir = mkdtempSync(join(tmpdir(), 'voice-bridge-demo-'));
  const agentsFile = join(dir, 'agents.json');
  writeFileSync(agentsFile, JSON.stringify({
    defaults: { transfer: { rules: [{ number: OPERATOR_NUMBER, label: 'operator', mode: 'warm', timeoutSeconds: 20 }], acceptKey: '1' } },
  }));
  const port = o.bridgePort ?? 8080;
  const config = loadConfig({
    ...o.env,
    PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: o.logLevel ?? o.env?.LOG_LEVEL ?? 'warn',
    TWILIO_API_URL: twilio.url, TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_FROM_NUMBER: '+14155550000',
    ELEVENLABS_API_URL: agent.url, ELEVENLABS_AGENT_ID: DEMO_AGENT_ID, ELEVENLABS_API_KEY: undefined,
    API_TOKEN: DEMO_API_TOKEN, AGENTS_FILE: agentsFile, DATA_DIR: dir, DATABASE_URL: undefined,
    CALLS_PER_SECOND: '5', MAX_CONCURRENT_CALLS: '20',
  });
  const store = await openStore({ dataDir: dir });
  const bridge = createBridge(config, createLogger(config.logLevel), { store });
  const address = await bridge.listen();
  return {
    bridge, agent, twilio, store, bridgeUrl: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await bridge.close();
      await twilio.close();
      await agent.close();
      await store.close();
    },
  };
}

/** What to run next, printed by `npm run demo`. */
export function nextSteps(d: DemoSet): string {
  const url = d.bridgeUrl;
  const custom = url !== 'http://127.0.0.1:8080';
  const urlFlag = custom ? ` --url ${url}` : '';
  return `
voice-bridge demo is running (Ctrl-C stops it):
  bridge      ${url}   dashboard: ${url}/ui   sign in with: ${DEMO_API_TOKEN}
  agent       ${d.agent.url}   reference agent "${DEMO_AGENT_ID}" (scripted)
  Twilio      ${d.twilio.url}   stand-in: REST API + simulated phones

In another terminal:
  inbound call   npm run simulate -- --bridge ${url} --auth-token ${d.twilio.authToken} --account-sid ${d.twilio.accountSid} --seconds 8
  campaign       CAMPAIGN_API_TOKEN=${DEMO_API_TOKEN} npm run campaign -- create${urlFlag} --file tools/demo/campaign.csv --name "Demo campaign" --agent-id ${DEMO_AGENT_ID}
  transfer       npm run demo:transfer${custom ? ` --${urlFlag}` : ''}
  broadcast      npm run demo:broadcast${custom ? ` --${urlFlag}` : ''}
`;
}
