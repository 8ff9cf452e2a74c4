/**
 * The services of CoorChat Relay as the deployment sees them: one place that `npm start`
 * (scripts/start-all.ts) and the deployment checks (test/deploy) read, so neither keeps its own copy
 * of entry points, config schemas, ports or health paths.
 */
import type { TObject } from '@sinclair/typebox';
import { SERVICE_ENV_SCHEMAS } from '@coorchat/shared';

export type ServiceName = keyof typeof SERVICE_ENV_SCHEMAS;

export interface ServiceDefinition {
  /** Compose service, Kubernetes workload/Service name and `app.kubernetes.io/name` label. */
  name: ServiceName;
  /** Workspace folder (also where its Dockerfile lives). */
  workspace: string;
  /** npm workspace package name. */
  packageName: string;
  /** Image repository built from `<workspace>/Dockerfile` (compose tags it `:${TAG}`, k8s pins a version). */
  image: string;
  /** The environment schema the service validates at boot: the only variables it may be given. */
  envSchema: TObject;
  /** Entry point relative to the workspace, TypeScript source and compiled. */
  entry: { source: string; compiled: string };
  /** Environment variable holding the HTTP port (health, metrics, and for the gateway /ws). */
  portVariable: 'PORT';
  /** `npm start` runs every service on one host: this variable sets this one's PORT there. */
  localPortVariable: string;
  /** HTTP paths the orchestrator probes. */
  health: { liveness: string; readiness: string };
  /** Talks to NATS (the retention service only needs PostgreSQL). */
  usesNats: boolean;
}

export const SERVICES: readonly ServiceDefinition[] = [
  {
    name: 'gateway',
    workspace: 'gateway',
    packageName: '@coorchat/gateway',
    image: 'coorchat/gateway',
    localPortVariable: 'GATEWAY_PORT',
    envSchema: SERVICE_ENV_SCHEMAS.gateway,
    entry: { source: 'src/main.ts', compiled: 'dist/main.js' },
    portVariable: 'PORT',
    health: { liveness: '/healthz', readiness: '/readyz' },
    usesNats: true,
  },
  {
    name: 'persistence-service',
    workspace: 'persistence-service',
    packageName: '@coorchat/persistence-service',
    image: 'coorchat/persistence-service',
    localPortVariable: 'PERSISTENCE_PORT',
    envSchema: SERVICE_ENV_SCHEMAS['persistence-service'],
    entry: { source: 'src/main.ts', compiled: 'dist/main.js' },
    portVariable: 'PORT',
    health: { liveness: '/healthz', readiness: '/readyz' },
    usesNats: true,
  },
  {
    name: 'retention-service',
    workspace: 'retention-service',
    packageName: '@coorchat/retention-service',
    image: 'coorchat/retention-service',
    localPortVariable: 'RETENTION_PORT',
    envSchema: SERVICE_ENV_SCHEMAS['retention-service'],
    entry: { source: 'src/main.ts', compiled: 'dist/main.js' },
    portVariable: 'PORT',
    health: { liveness: '/healthz', readiness: '/healthz' },
    usesNats: false,
  },
];

/** The migrations CLI (`up`, `pending --check`, …), shipped in the persistence-service image. */
export const MIGRATE = {
  name: 'migrate',
  workspace: 'persistence-service',
  entry: { source: 'src/migrate.ts', compiled: 'dist/migrate.js' },
} as const;

/** True when the service keeps rows in PostgreSQL (its schema asks for DATABASE_URL). */
export function usesPostgres(service: ServiceDefinition): boolean {
  return 'DATABASE_URL' in service.envSchema.properties;
}

/** The schema default of one variable (undefined when it has none, i.e. it is required). */
export function envDefault(service: ServiceDefinition, variable: string): unknown {
  const property = service.envSchema.properties[variable] as { default?: unknown } | undefined;
  return property?.default;
}

/** The port the service listens on when nothing overrides it. */
export function defaultPort(service: ServiceDefinition): number {
  const port = envDefault(service, service.portVariable);
  if (typeof port !== 'number') throw new Error(`${service.name}: ${service.portVariable} has no numeric default`);
  return port;
}

export function serviceByName(name: string): ServiceDefinition {
  const service = SERVICES.find((s) => s.name === name);
  if (!service) throw new Error(`unknown service ${name}`);
  return service;
}
