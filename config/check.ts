/**
 * `npm start`'s first step: validates the environment with the same schema the
 * bridge uses, so a bad setting is reported in a second, before the TypeScript build.
 * Exit status 2 (as the bridge itself) when a setting is invalid.
 */
import { ConfigError, loadConfig } from './index.js';

try {
  loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
