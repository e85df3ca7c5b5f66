import { parseConfig, type Config } from './config.js';

export { parseConfig, ConfigError, type Config } from './config.js';

/** The one place in the project that reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(env);
}
export { broadcastSchema, type BroadcastSettings, type BroadcastMenu, type MenuAction } from './broadcast.js';
export { mergePolicy, callPolicySchema, partialPolicySchema, type CallPolicySettings, type PartialCallPolicy, type AgentsFile, type TransferRule } from './call-policy.js';
