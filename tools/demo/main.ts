/**
 * `npm run demo`: the reference agent, the Twilio stand-in and the bridge, wired
 * together on this machine, then prints the commands that try each capability.
 *
 *   npm run demo -- [--port 8080] [--agent-port 8765] [--twilio-port 8766]
 */
import { parseArgs } from 'node:util';
import { nextSteps, startDemo } from './demo-set.js';

const { values: v } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    port: { type: 'string', default: '8080' },
    'agent-port': { type: 'string', default: '8765' },
    'twilio-port': { type: 'string', default: '8766' },
  },
});
const port = (flag: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${flag} must be a port number (0-65535), not ${text}`);
    process.exit(2);
  }
  return n;
};

const demo = await startDemo({
  bridgePort: port('--port', v.port), agentPort: port('--agent-port', v['agent-port']), twilioPort: port('--twilio-port', v['twilio-port']),
  env: process.env,
});
console.log(nextSteps(demo));
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void demo.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
