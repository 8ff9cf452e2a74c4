import { readFileSync } from 'node:fs';
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { createEnvValidator } from '../protocol/validator.js';
import { StringEnum } from '../protocol/string-enum.js';

/** Thrown at boot when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Environment variables every service reads. */
export const CommonEnv = {
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222', description: 'NATS server URL(s), comma separated' }),
  NATS_STREAM: Type.String({ default: 'COORCHAT', pattern: '^[A-Za-z0-9_-]+$', description: 'JetStream stream holding relay events' }),
  NATS_SUBJECT_PREFIX: Type.String({ default: 'coorchat', pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$', description: 'Prefix of every NATS subject' }),
  NATS_STREAM_REPLICAS: Type.Integer({
    minimum: 1,
    maximum: 5,
    default: 1,
    description: 'Replicas of the streams a service creates (3 on a 3-node NATS cluster); an existing stream keeps its own',
  }),
  LOG_LEVEL: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
    default: 'info',
    description: 'pino log level',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'Hard deadline for graceful shutdown' }),
};

/** Env vars that are secrets may instead name a file (`X_FILE`) holding the value (k8s/compose secrets). */
function resolveFileVariables(env: NodeJS.ProcessEnv, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const direct = env[key];
    const file = env[`${key}_FILE`];
    if (direct !== undefined && direct !== '') out[key] = direct;
    else if (file) out[key] = readFileSync(file, 'utf8').trim();
  }
  return out;
}

/**
 * Reads and validates environment variables against a TypeBox object schema: strings are coerced
 * to numbers/booleans, defaults applied, every problem reported at once. Empty strings count as unset.
 */
export function loadEnv<P extends TProperties>(
  schema: TObject<P>,
  env: NodeJS.ProcessEnv = process.env,
): Static<TObject<P>> {
  const keys = Object.keys(schema.properties);
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  let fromFiles: Record<string, string>;
  try {
    fromFiles = resolveFileVariables(env, keys);
  } catch (error) {
    throw new ConfigError([`cannot read a *_FILE variable: ${(error as Error).message}`]);
  }
  const result = createEnvValidator(schema)({ ...picked, ...fromFiles });
  if (!result.ok) throw new ConfigError(result.errors);
  return result.value;
}

/** The keys a service's env schema knows (used by the deployment checks). */
export function envKeys(schema: TObject): string[] {
  return Object.keys(schema.properties);
}
