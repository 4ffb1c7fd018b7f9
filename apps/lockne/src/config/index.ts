// The config file: /etc/lockne/config.toml, parsed with smol-toml and checked with zod.
export { ConfigError, MAX_LISTED_PROBLEMS, formatKeyPath, formatProblem, formatProblems, type ConfigProblem, type KeyPath } from './error.js';
export { AD_HOC_PROFILE, MAX_CONFIG_BYTES, adHocConfig, loadConfig, parseConfig, type AdHocOptions } from './parse.js';
export { CONFIG_KEYS, formatConfigKeys, type ConfigKeyDoc } from './keys.js';
export { KeyLocations, locateKeys, type SourcePos } from './locate.js';
export {
  DEFAULT_CONFIG_PATH, DEFAULT_SETTINGS, MAX_PROFILES, RULE_PRIORITY_STRIDE,
  type LockneConfig, type LockneSettings, type ProfileConfig, type ProfileMode,
} from './types.js';
