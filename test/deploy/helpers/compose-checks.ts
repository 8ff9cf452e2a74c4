import { usesPostgres, type ServiceDefinition } from '../../../scripts/lib/services.js';
import { checkEnvAgainstSchema, type EnvAssignment } from './env-check.js';

/** The parts of a compose file the checks read. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}
export interface ComposeService {
  image?: string;
  pull_policy?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test: string[] | string };
  volumes?: (string | { source?: string; target: string })[];
  ports?: (string | { target: number; published?: string | number })[];
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$\$|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Variables a compose value interpolates (`${X}`, `${X:-default}`, `$X`). */
export function interpolatedVariables(value: string): string[] {
  return [...value.matchAll(VARIABLE)].map((m) => m[1] ?? m[4]).filter((v): v is string => v !== undefined);
}

/** Compose interpolation with the given environment (`${X:-d}`: d when X is unset or empty, `${X-d}`: when unset). */
export function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(VARIABLE, (match, braced?: string, operator?: string, argument = '', bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const current = env[name];
    if (operator === ':-') return current ? current : argument;
    if (operator === '-') return current ?? argument;
    if (operator === ':?' || operator === '?') {
      if (!current) throw new Error(`${name} is required: ${argument}`);
      return current;
    }
    if (operator === ':+') return current ? argument : '';
    if (operator === '+') return current !== undefined ? argument : '';
    return current ?? '';
  });
}

/** Every string in the compose file (values only), for variable and secret scans. */
export function composeStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(composeStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(composeStrings);
  return [];
}

export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => {
      const at = entry.indexOf('=');
      return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function dependencies(service: ComposeService): Record<string, string | undefined> {
  const dependsOn = service.depends_on ?? {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(dependsOn).map(([name, d]) => [name, d.condition]));
}

/** Who waits for whom, and how: the services reach their dependencies only once those are usable. */
export interface ComposeTopology {
  nats: string;
  postgres: string;
  migrate: string;
}

export function checkDependencyGraph(compose: ComposeFile, services: readonly ServiceDefinition[], topology: ComposeTopology): string[] {
  const problems: string[] = [];
  const expect = (from: string, to: string, condition: string) => {
    const actual = dependencies(compose.services[from] ?? {})[to];
    if (actual !== condition) problems.push(`${from} must depend on ${to} with ${condition} (found ${actual ?? 'nothing'})`);
  };
  expect(topology.migrate, topology.postgres, 'service_healthy');
  for (const service of services) {
    if (!compose.services[service.name]) {
      problems.push(`no compose service ${service.name}`);
      continue;
    }
    if (usesPostgres(service)) {
      expect(service.name, topology.migrate, 'service_completed_successfully');
      expect(service.name, topology.postgres, 'service_healthy');
    }
    if (service.usesNats) expect(service.name, topology.nats, 'service_healthy');
    const deps = Object.keys(dependencies(compose.services[service.name]!));
    const allowed = new Set([...(usesPostgres(service) ? [topology.migrate, topology.postgres] : []), ...(service.usesNats ? [topology.nats] : [])]);
    for (const dep of deps) if (!allowed.has(dep)) problems.push(`${service.name} depends on ${dep}, which it does not use`);
  }
  for (const [name, service] of Object.entries(compose.services)) {
    for (const dep of Object.keys(dependencies(service))) {
      if (!compose.services[dep]) problems.push(`${name} depends on undefined service ${dep}`);
    }
    const wanted = Object.entries(dependencies(service)).filter(([, c]) => c === 'service_healthy').map(([d]) => d);
    for (const dep of wanted) if (compose.services[dep] && !compose.services[dep].healthcheck) problems.push(`${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
  }
  return problems;
}

/** The repository part of an image reference, after interpolation (`coorchat/gateway:${TAG:-dev}` → `coorchat/gateway`). */
function repositoryOf(image: string | undefined, env: Record<string, string>): string {
  return interpolate(image ?? '', env).replace(/[:@][^/]*$/, '');
}

/**
 * Every compose service that runs one of our images (the migrate one-shot included) gets, once
 * interpolated with `env`, only variables that image's config schema knows, every required one, and
 * valid values.
 */
export function checkComposeEnv(compose: ComposeFile, services: readonly ServiceDefinition[], env: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const service of services) {
    if (!compose.services[service.name]) problems.push(`no compose service ${service.name}`);
  }
  for (const [name, composeService] of Object.entries(compose.services)) {
    const service = services.find((s) => repositoryOf(composeService.image, env) === s.image);
    if (!service) continue;
    const assignments: EnvAssignment[] = Object.entries(environmentOf(composeService)).map(([key, value]) => ({ name: key, value: interpolate(value, env) }));
    problems.push(...checkEnvAgainstSchema(`compose ${name}`, service.envSchema, assignments));
  }
  return problems;
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|DATABASE_URL|PRIVATE|API_KEY/i;
const DEV_DEFAULT = /^(changeme[\w-]*|[\w-]+=changeme|)$/;

/** The part of a value that is the credential: a URL's password, else the whole value. */
function credentialOf(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  try {
    return decodeURIComponent(new URL(value).password);
  } catch {
    return value;
  }
}

/**
 * No credential is committed: the credential part of a secret-looking variable (the password of a
 * URL, else the whole value) comes from one environment variable, whose fallback, if any, is an
 * obvious development placeholder (`${DB_PASSWORD:-changeme}`).
 */
export function checkNoCommittedSecrets(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    for (const [key, value] of Object.entries(environmentOf(service))) {
      if (!SECRET_NAME.test(key)) continue;
      const markers = Object.fromEntries(interpolatedVariables(value).map((v) => [v, `VAR${v}VAR`]));
      const credential = credentialOf(interpolate(value, markers));
      const source = /^VAR([A-Za-z0-9_]+)VAR$/.exec(credential)?.[1];
      if (credential === '') continue;
      if (!source) {
        problems.push(`${name}: ${key} holds a literal credential: take it from one variable (\${X:-changeme})`);
        continue;
      }
      for (const match of value.matchAll(VARIABLE)) {
        if (match[1] !== source || match[3] === undefined) continue;
        if (!DEV_DEFAULT.test(match[3])) problems.push(`${name}: ${key} falls back to "${match[3]}", not a changeme development default`);
      }
    }
  }
  return problems;
}

/** `KEY=value` lines of a dotenv file (comments and blank lines skipped, quotes removed). */
export function parseDotenv(text: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    if (at <= 0) throw new Error(`not KEY=value: ${line}`);
    let value = line.slice(at + 1).trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    entries[line.slice(0, at).trim()] = value;
  }
  return entries;
}
