import { describe, expect, it } from 'vitest';
import { MIGRATE, SERVICES, defaultPort } from '../../scripts/lib/services.js';
import {
  checkComposeEnv,
  checkDependencyGraph,
  checkNoCommittedSecrets,
  composeStrings,
  interpolatedVariables,
  parseDotenv,
  type ComposeFile,
} from './helpers/compose-checks.js';
import { parseYaml, readRepoFile, repoPath } from './helpers/repo.js';
import { existsSync } from 'node:fs';

const compose = parseYaml(readRepoFile('docker-compose.yml'), 'docker-compose.yml') as ComposeFile;
const envExample = parseDotenv(readRepoFile('.env.example'));
const TOPOLOGY = { nats: 'nats', postgres: 'postgres', migrate: 'migrate' };

describe('docker-compose.yml', () => {
  it('starts NATS 2.11+ with JetStream storing on a named volume, healthchecked', () => {
    const nats = compose.services.nats!;
    const [major, minor] = (/^nats:(\d+)\.(\d+)/.exec(nats.image ?? '') ?? []).slice(1).map(Number);
    expect(major! > 2 || (major === 2 && minor! >= 11)).toBe(true);
    const command = Array.isArray(nats.command) ? nats.command : (nats.command ?? '').split(/\s+/);
    expect(command.some((a) => a === '-js' || a === '--jetstream')).toBe(true);
    const storeDir = command[command.findIndex((a) => a === '-sd' || a === '--store_dir') + 1];
    expect(storeDir).toBeDefined();
    const volume = (nats.volumes ?? []).map(String).find((v) => v.endsWith(`:${storeDir}`));
    expect(volume && Object.keys(compose.volumes ?? {})).toContain(volume!.split(':')[0]);
    expect(JSON.stringify(nats.healthcheck?.test)).toContain('/healthz');
  });

  it('starts postgres:16-alpine on a named volume with a pg_isready healthcheck', () => {
    const postgres = compose.services.postgres!;
    expect(postgres.image).toBe('postgres:16-alpine');
    expect(JSON.stringify(postgres.healthcheck?.test)).toContain('pg_isready');
    const volume = (postgres.volumes ?? []).map(String).find((v) => v.endsWith(':/var/lib/postgresql/data'));
    expect(Object.keys(compose.volumes ?? {})).toContain(volume?.split(':')[0]);
  });

  it('runs migrations once with the image that ships the migrate CLI, before the services that use PostgreSQL', () => {
    const migrate = compose.services[MIGRATE.name]!;
    expect(migrate.command).toEqual(['node', `${MIGRATE.workspace}/${MIGRATE.entry.compiled}`, 'up']);
    expect(existsSync(repoPath(MIGRATE.workspace, MIGRATE.entry.source))).toBe(true);
    expect(migrate.image).toBe(compose.services[MIGRATE.workspace]!.image);
    // Built by the persistence-service entry; a pull would look for it on Docker Hub.
    expect(migrate.build).toBeUndefined();
    expect(migrate.pull_policy).toBe('never');
  });

  it('orders start-up: each service waits for what it uses, healthy or completed', () => {
    expect(checkDependencyGraph(compose, SERVICES, TOPOLOGY)).toEqual([]);
  });

  it('builds each service from its own Dockerfile and publishes only the gateway', () => {
    for (const service of SERVICES) {
      const entry = compose.services[service.name]!;
      expect(entry.build).toEqual({ context: '.', dockerfile: `${service.workspace}/Dockerfile` });
      expect(entry.image).toMatch(new RegExp(`^${service.image}:`));
    }
    const published = Object.entries(compose.services).filter(([, s]) => (s.ports ?? []).length > 0).map(([name]) => name);
    expect(published).toEqual(['gateway']);
    const gatewayPort = String(compose.services.gateway!.ports![0]);
    expect(gatewayPort.endsWith(`:${defaultPort(SERVICES[0]!)}`)).toBe(true);
  });

  it('gives each service only variables its config schema knows, valid with the built-in defaults', () => {
    expect(checkComposeEnv(compose, SERVICES, {})).toEqual([]);
  });

  it('gives each service valid variables with the values of .env.example', () => {
    expect(checkComposeEnv(compose, SERVICES, envExample)).toEqual([]);
  });

  it('commits no credential: secrets come from the environment with changeme development fallbacks', () => {
    expect(checkNoCommittedSecrets(compose)).toEqual([]);
  });
});

describe('.env.example', () => {
  const used = new Set(composeStrings(compose).flatMap(interpolatedVariables));

  it('documents every variable docker-compose.yml reads, and only those', () => {
    expect(Object.keys(envExample).sort()).toEqual([...used].sort());
  });

  it('holds development placeholders only for credentials', () => {
    for (const [key, value] of Object.entries(envExample)) {
      if (/PASSWORD|SECRET|TOKEN/.test(key)) expect(value, key).toMatch(/changeme/);
    }
  });

  it('is documented line by line', () => {
    const text = readRepoFile('.env.example');
    const blocks = text.split(/\n\s*\n/);
    for (const key of Object.keys(envExample)) {
      const block = blocks.find((b) => b.split('\n').some((l) => l.startsWith(`${key}=`)));
      expect(block, key).toMatch(/^#/m);
    }
  });
});
