import { describe, expect, it } from 'vitest';
import { SERVICE_ENV_SCHEMAS } from '@coorchat/shared';
import { MIGRATE as MIGRATE_CLI, SERVICES, usesPostgres } from '../../scripts/lib/services.js';
import {
  checkApiSchemas,
  checkApplyOrder,
  checkEnv,
  checkPodHardening,
  checkProbes,
  checkSecretReferences,
  checkSelectorsAndReferences,
  checkShutdownBudget,
  imageRepository,
} from './helpers/k8s-checks.js';
import { NAME_LABEL, byKind, loadManifests, podTemplates } from './helpers/k8s-manifests.js';
import type { K8sObject } from './helpers/k8s-models.js';
import { allowedSources, publiclyReachable } from './helpers/network-policy.js';
import { listRepoFiles, parseYamlDocuments, readRepoFile } from './helpers/repo.js';

const manifests = loadManifests('k8s');
const docs = manifests.map((m) => m.doc);
const [secretTemplate] = parseYamlDocuments(readRepoFile('k8s/templates/secret.yaml'), 'k8s/templates/secret.yaml') as K8sObject[];
const MIGRATE = MIGRATE_CLI.name;
const MIGRATE_COMMAND = `${MIGRATE_CLI.workspace}/${MIGRATE_CLI.entry.compiled}`;

describe('the service catalogue (scripts/lib/services.ts)', () => {
  it('deploys every service that has an env schema, each from its workspace', () => {
    expect(SERVICES.map((s) => s.name).sort()).toEqual(Object.keys(SERVICE_ENV_SCHEMAS).sort());
    const { workspaces } = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };
    for (const service of SERVICES) expect(workspaces).toContain(service.workspace);
  });
});

describe('k8s manifests (kubectl apply -f k8s)', () => {
  it('are numbered files that apply in order, the Namespace first', () => {
    const files = listRepoFiles('k8s', ['.yaml', '.yml', '.json']);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(file).toMatch(/^\d{2}-[a-z0-9-]+\.yaml$/);
    expect(checkApplyOrder(manifests)).toEqual([]);
  });

  it('validate strictly against the Kubernetes API schemas (the secret template included)', () => {
    expect(secretTemplate?.kind).toBe('Secret');
    expect(checkApiSchemas([...docs, secretTemplate!])).toEqual([]);
  });

  it('contain every kind the install needs', () => {
    const kinds = new Set(docs.map((d) => `${d.kind}/${d.metadata.name}`));
    for (const expected of [
      'Namespace/coorchat',
      'StatefulSet/nats',
      'StatefulSet/postgres',
      `Job/${MIGRATE}`,
      'Ingress/gateway',
      'HorizontalPodAutoscaler/gateway',
      'PodDisruptionBudget/gateway',
      'NetworkPolicy/default-deny-ingress',
      ...SERVICES.flatMap((s) => [`Deployment/${s.name}`, `Service/${s.name}`]),
    ]) {
      expect(kinds).toContain(expected);
    }
  });

  it('select what they mean to: workload, Service, PDB, HPA, NetworkPolicy and Ingress references resolve', () => {
    expect(checkSelectorsAndReferences(docs)).toEqual([]);
  });

  it('give each of our containers only variables its config schema knows, all required ones, valid values', () => {
    expect(checkEnv(docs, secretTemplate!, SERVICES)).toEqual([]);
  });

  it('read every secret from the out-of-band Secret, as mounted files, and commit only placeholders', () => {
    expect(checkSecretReferences(docs, secretTemplate!)).toEqual([]);
  });

  it('probe the health endpoints on the port each service listens on', () => {
    expect(checkProbes(docs, secretTemplate!, SERVICES)).toEqual([]);
  });

  it('let every service drain: terminationGracePeriodSeconds > preStop sleep + SHUTDOWN_TIMEOUT_MS', () => {
    expect(checkShutdownBudget(docs, secretTemplate!, SERVICES)).toEqual([]);
  });

  it('run every container as non-root with requests and limits', () => {
    expect(checkPodHardening(docs)).toEqual([]);
  });

  it('run the migration Job with the image that ships the migrate CLI, and make the DB users wait for it', () => {
    const persistence = SERVICES.find((s) => s.workspace === MIGRATE_CLI.workspace)!;
    const job = podTemplates(docs).find((t) => t.workload.kind === 'Job' && t.labels[NAME_LABEL] === MIGRATE)!;
    const container = job.spec.containers[0]!;
    expect(imageRepository(container.image)).toBe(persistence.image);
    expect(container.command).toEqual(['node', MIGRATE_COMMAND, 'up']);
    for (const service of SERVICES.filter(usesPostgres)) {
      const template = podTemplates(docs).find((t) => t.workload.kind === 'Deployment' && t.labels[NAME_LABEL] === service.name)!;
      const waits = template.spec.initContainers?.some((c) => c.command?.join(' ').includes(`node ${MIGRATE_COMMAND} pending --check`));
      expect(waits, `${service.name} waits for migrations`).toBe(true);
    }
  });

  it('run one release: every image of ours carries the same tag', () => {
    const ours = podTemplates(docs)
      .flatMap((t) => [...(t.spec.initContainers ?? []), ...t.spec.containers])
      .map((c) => c.image ?? '')
      .filter((image) => SERVICES.some((s) => imageRepository(image) === s.image));
    expect(ours.length).toBeGreaterThanOrEqual(SERVICES.length + 1);
    expect(new Set(ours.map((image) => image.slice(imageRepository(image).length))).size).toBe(1);
  });

  it('pin NATS to 2.11+ with JetStream on a persistent volume, and PostgreSQL 16', () => {
    const nats = byKind<{ spec: { template: { spec: { containers: { image: string }[] } }; volumeClaimTemplates?: unknown[] } }>(docs, 'StatefulSet').find((s) => s.metadata.name === 'nats')!;
    const [major, minor] = (/nats:(\d+)\.(\d+)/.exec(nats.spec.template.spec.containers[0]!.image) ?? []).slice(1).map(Number);
    expect(major! > 2 || (major === 2 && minor! >= 11)).toBe(true);
    expect(nats.spec.volumeClaimTemplates).toHaveLength(1);
    const config = byKind<{ data: Record<string, string> }>(docs, 'ConfigMap').find((c) => c.metadata.name === 'nats-config')!;
    expect(config.data['nats.conf']).toMatch(/jetstream\s*\{[^}]*store_dir:\s*\/data/);
    const postgres = byKind<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(docs, 'StatefulSet').find((s) => s.metadata.name === 'postgres')!;
    expect(postgres.spec.template.spec.containers[0]!.image).toMatch(/^postgres:16/);
  });

  it('expose the agent-facing paths of the gateway (native /ws, /api, SignalR /agentHub) through Ingresses with WebSocket-friendly timeouts, and nothing else', () => {
    const ingresses = byKind<{ spec: { rules: { http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] } }>(docs, 'Ingress');
    const paths = ingresses.flatMap((i) => i.spec.rules.flatMap((r) => r.http.paths));
    expect(paths.map((p) => p.path).sort()).toEqual(['/agentHub', '/api', '/ws']);
    expect(new Set(paths.map((p) => p.backend.service.name))).toEqual(new Set(['gateway']));
    for (const ingress of ingresses) {
      const annotations = ingress.metadata.annotations ?? {};
      for (const key of ['proxy-read-timeout', 'proxy-send-timeout']) {
        expect(Number(annotations[`nginx.ingress.kubernetes.io/${key}`]), `${ingress.metadata.name} ${key}`).toBeGreaterThanOrEqual(3_600);
      }
    }
    const signalr = ingresses.find((i) => i.spec.rules.some((r) => r.http.paths.some((p) => p.path === '/agentHub')))!;
    expect(signalr.metadata.annotations?.['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
  });

  describe('network policies', () => {
    const port = (component: string) =>
      podTemplates(docs).find((t) => t.labels[NAME_LABEL] === component)!.spec.containers[0]!.ports![0]!.containerPort;

    it('leave only the gateway reachable from outside', () => {
      expect(publiclyReachable(docs)).toEqual(['gateway']);
    });

    it('let only the services that use PostgreSQL (and the migration) reach it', () => {
      const expected = [...SERVICES.filter(usesPostgres).map((s) => s.name), MIGRATE].sort();
      expect([...allowedSources(docs, 'postgres', port('postgres'))].sort()).toEqual(expected);
    });

    it('let the services that use NATS reach it', () => {
      const expected = [...SERVICES.filter((s) => s.usesNats).map((s) => s.name), 'nats'].sort();
      expect([...allowedSources(docs, 'nats', 4222)].sort()).toEqual(expected);
    });
  });
});
