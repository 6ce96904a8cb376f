/**
 * Loading strict YAML/JSON configs against their zod schemas, with `key=value` overrides; errors
 * name the file and key path.
 * @module config
 */
export {
  ConfigError,
  loadConfigFile,
  loadConfigSource,
  parseOverrides,
  validateConfig,
} from '../config/load.ts';
