import { ConfigError, loadConfig } from '../config/index.js';
import { createBridge } from './app.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { openStore } from './store/index.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  if (!config.twilio.validateSignatures) log.warn('TWILIO_SIGNATURE_VALIDATION=false: Twilio webhooks and streams are NOT authenticated');
  if (config.streamToken.ephemeral) log.warn('no TWILIO_AUTH_TOKEN or STREAM_TOKEN_SECRET: stream tokens use a per-process key (single instance only)');
  if (!config.elevenlabs.agentId) log.warn('ELEVENLABS_AGENT_ID is not set: calls need agent_id on the webhook URL');

  const store = await openStore({ url: config.database.url, dataDir: config.database.dataDir });
  log.info({ database: store.database.location }, 'store ready');
  const bridge = createBridge(config, log, { store, metrics: new Metrics({ defaultMetrics: true }) });
  const addr = await bridge.listen();
  log.info({ address: `${addr.address}:${addr.port}`, publicUrl: config.publicUrl }, 'bridge listening');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs + 2000);
    force.unref();
    bridge
      .close(config.shutdownGraceMs)
      .then(() => store.close())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (err) => log.error({ err: (err as Error)?.message }, 'unhandled rejection'));
}

void main();
