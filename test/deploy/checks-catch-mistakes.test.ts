/**
 * The deployment checks must be able to fail: each case breaks a copy of the real manifests, compose
 * file or Dockerfile in one way and expects the matching check to say so.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the cases edit parsed YAML in place, a shape per case */
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '../../scripts/lib/services.js';
import {
  checkComposeEnv,
  checkDependencyGraph,
  checkNoCommittedSecrets,
  type ComposeFile,
} from './helpers/compose-checks.js';
import { checkEnvAgainstSchema } from './helpers/env-check.js';
import {
  checkApiSchemas,
  checkApplyOrder,
  checkEnv,
  checkPodHardening,
  checkProbes,
  checkSecretReferences,
  checkSelectorsAndReferences,
  checkShutdownBudget,
} from './helpers/k8s-checks.js';
import { loadManifests } from './helpers/k8s-manifests.js';
import type { K8sObject } from './helpers/k8s-models.js';
import { allowedSources, publiclyReachable } from './helpers/network-policy.js';
import { parseYaml, parseYamlDocuments, readRepoFile } from './helpers/repo.js';

const original = loadManifests('k8s');
const secretTemplate = parseYamlDocuments(readRepoFile('k8s/templates/secret.yaml'), 'secret')[0] as K8sObject;
const compose = parseYaml(readRepoFile('docker-compose.yml'), 'compose') as ComposeFile;
const TOPOLOGY = { nats: 'nats', postgres: 'postgres', migrate: 'migrate' };

/** A deep copy of the manifests with one object changed. */
function mutated(kind: string, name: string, change: (doc: any) => void): K8sObject[] {
  const docs = structuredClone(original.map((m) => m.doc));
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind}/${name}`);
  change(doc);
  return docs;
}
const gatewayContainer = (doc: any) => doc.spec.template.spec.containers[0];
const configMap = (docs: K8sObject[], name: string) => docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === name) as any;

describe('the k8s checks catch', () => {
  it('a Service selector that matches no pod', () => {
    const docs = mutated('Service', 'gateway', (d) => (d.spec.selector = { 'app.kubernetes.io/name': 'gatewy' }));
    expect(checkSelectorsAndReferences(docs).join('\n')).toMatch(/Service\/gateway: selector .* matches no pod template/);
  });

  it('a Deployment whose selector misses its own template', () => {
    const docs = mutated('Deployment', 'persistence-service', (d) => (d.spec.template.metadata.labels['app.kubernetes.io/name'] = 'persistence'));
    expect(checkSelectorsAndReferences(docs).join('\n')).toMatch(/Deployment\/persistence-service: selector does not match/);
  });

  it('a Service targetPort no container declares, and an Ingress backend port that does not exist', () => {
    expect(checkSelectorsAndReferences(mutated('Service', 'gateway', (d) => (d.spec.ports[0].targetPort = 'metrics'))).join('\n')).toMatch(/targetPort metrics/);
    expect(checkSelectorsAndReferences(mutated('Ingress', 'gateway', (d) => (d.spec.rules[0].http.paths[0].backend.service.port = { name: 'web' }))).join('\n')).toMatch(/backend gateway:web/);
  });

  it('an HPA aimed at a missing Deployment, or fighting a fixed replica count', () => {
    const docs = mutated('HorizontalPodAutoscaler', 'gateway', (d) => (d.spec.scaleTargetRef.name = 'gateways'));
    expect(checkSelectorsAndReferences(docs).join('\n')).toMatch(/scale target Deployment\/gateways/);
    const fixed = mutated('Deployment', 'gateway', (d) => (d.spec.replicas = 3));
    expect(checkSelectorsAndReferences(fixed).join('\n')).toMatch(/Deployment\/gateway: sets replicas although HorizontalPodAutoscaler\/gateway owns them/);
  });

  it('a misspelt field, a wrong type and a missing required field (API schema)', () => {
    const typo = mutated('Deployment', 'gateway', (d) => (gatewayContainer(d).readinesProbe = gatewayContainer(d).readinessProbe));
    expect(checkApiSchemas(typo).join('\n')).toMatch(/unknown field \/spec\/template\/spec\/containers\/0\/readinesProbe/);
    const type = mutated('Deployment', 'gateway', (d) => (gatewayContainer(d).ports[0].containerPort = '3000'));
    expect(checkApiSchemas(type).join('\n')).toMatch(/containerPort must be integer/);
    const required = mutated('Deployment', 'gateway', (d) => delete gatewayContainer(d).name);
    expect(checkApiSchemas(required).join('\n')).toMatch(/containers\/0 must have required property name/);
  });

  it('an object applied before the Namespace exists', () => {
    const reordered = [original[1]!, original[0]!, ...original.slice(2)];
    expect(checkApplyOrder(reordered)).not.toEqual([]);
  });

  it('a variable the service does not know, and an invalid value', () => {
    const unknown = mutated('ConfigMap', 'coorchat-gateway', (d) => (d.data.GATEWAY_PORT = '3000'));
    expect(checkEnv(unknown, secretTemplate, SERVICES).join('\n')).toMatch(/GATEWAY_PORT is not a variable this service knows/);
    const invalid = mutated('ConfigMap', 'coorchat-retention', (d) => (d.data.RETENTION_DAYS = 'thirty'));
    expect(checkEnv(invalid, secretTemplate, SERVICES).join('\n')).toMatch(/RETENTION_DAYS/);
    const missingSource = mutated('Deployment', 'gateway', (d) => (gatewayContainer(d).envFrom[1].configMapRef.name = 'nope'));
    expect(checkEnv(missingSource, secretTemplate, SERVICES).join('\n')).toMatch(/ConfigMap nope does not exist/);
  });

  it('a required variable left unset', () => {
    const schema = Type.Object({ NEEDED: Type.String(), OPTIONAL: Type.String({ default: 'x' }) });
    expect(checkEnvAgainstSchema('svc', schema, [{ name: 'OPTIONAL', value: 'y' }])).toEqual(['svc: required variable NEEDED is not set']);
    expect(checkEnvAgainstSchema('svc', schema, [{ name: 'NEEDED_FILE', value: '/run/x' }])).toEqual([]);
  });

  it('probes on the wrong path or port', () => {
    const path = mutated('Deployment', 'gateway', (d) => (gatewayContainer(d).readinessProbe.httpGet.path = '/ready'));
    expect(checkProbes(path, secretTemplate, SERVICES).join('\n')).toMatch(/readinessProbe path \/ready is not \/readyz/);
    const docs = structuredClone(original.map((m) => m.doc));
    configMap(docs, 'coorchat-persistence').data.PORT = '4001';
    expect(checkProbes(docs, secretTemplate, SERVICES).join('\n')).toMatch(/does not declare port 4001/);
  });

  it('a grace period shorter than preStop + SHUTDOWN_TIMEOUT_MS', () => {
    const docs = structuredClone(original.map((m) => m.doc));
    configMap(docs, 'coorchat-common').data.SHUTDOWN_TIMEOUT_MS = '28000';
    expect(checkShutdownBudget(docs, secretTemplate, SERVICES).join('\n')).toMatch(/Deployment\/gateway: terminationGracePeriodSeconds 30s/);
  });

  it('a root container and a container without limits', () => {
    const docs = mutated('Deployment', 'retention-service', (d) => {
      d.spec.template.spec.securityContext.runAsUser = 0;
      delete d.spec.template.spec.containers[0].resources.limits;
    });
    const problems = checkPodHardening(docs).join('\n');
    expect(problems).toMatch(/retention-service: runAsUser must be a non-zero uid/);
    expect(problems).toMatch(/retention-service: no memory limit/);
  });

  it('a committed secret value, a secret key the template lacks and a file variable pointing nowhere', () => {
    const leaked = structuredClone(secretTemplate) as any;
    leaked.stringData.JWT_SECRET = 's3cr3t';
    expect(checkSecretReferences(original.map((m) => m.doc), leaked).join('\n')).toMatch(/JWT_SECRET holds a value/);
    const key = mutated('Deployment', 'gateway', (d) => (d.spec.template.spec.volumes[0].secret.items[0].key = 'TOKENS'));
    expect(checkSecretReferences(key, secretTemplate).join('\n')).toMatch(/Secret key TOKENS is not in the template/);
    const file = mutated('Deployment', 'gateway', (d) => (gatewayContainer(d).env[1].value = '/etc/tokens'));
    expect(checkSecretReferences(file, secretTemplate).join('\n')).toMatch(/CHANNEL_TOKENS_FILE=\/etc\/tokens is no mounted Secret item/);
  });

  it('a NetworkPolicy that opens PostgreSQL to the gateway, or any pod to the world', () => {
    const docs = mutated('NetworkPolicy', 'postgres-clients', (d) =>
      d.spec.ingress[0].from.push({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gateway' } } }),
    );
    expect(allowedSources(docs, 'postgres', 5432)).toContain('gateway');
    const open = mutated('NetworkPolicy', 'nats-clients', (d) => d.spec.ingress.push({ ports: [{ port: 4222 }] }));
    expect(publiclyReachable(open)).toContain('nats');
    const noDefaultDeny = structuredClone(original.map((m) => m.doc)).filter((d) => d.kind !== 'NetworkPolicy' || d.metadata.name === 'gateway-public');
    expect(publiclyReachable(noDefaultDeny)).toContain('postgres');
  });
});

describe('the compose checks catch', () => {
  const withService = (name: string, change: (service: any) => void): ComposeFile => {
    const copy = structuredClone(compose) as any;
    change(copy.services[name]);
    return copy;
  };

  it('a service that starts before migrations completed or before NATS is healthy', () => {
    const started = withService('persistence-service', (s) => (s.depends_on.migrate.condition = 'service_started'));
    expect(checkDependencyGraph(started, SERVICES, TOPOLOGY).join('\n')).toMatch(/persistence-service must depend on migrate with service_completed_successfully/);
    const noNats = withService('gateway', (s) => delete s.depends_on.nats);
    expect(checkDependencyGraph(noNats, SERVICES, TOPOLOGY).join('\n')).toMatch(/gateway must depend on nats with service_healthy/);
    const noHealth = withService('postgres', (s) => delete s.healthcheck);
    expect(checkDependencyGraph(noHealth, SERVICES, TOPOLOGY).join('\n')).toMatch(/postgres has no healthcheck/);
  });

  it('an unknown variable and an invalid interpolated default', () => {
    const unknown = withService('retention-service', (s) => (s.environment.RETENTION_DAYZ = '3'));
    expect(checkComposeEnv(unknown, SERVICES, {}).join('\n')).toMatch(/compose retention-service: RETENTION_DAYZ is not a variable/);
    const invalid = withService('gateway', (s) => (s.environment.PORT = '${GATEWAY_INTERNAL_PORT:-http}'));
    expect(checkComposeEnv(invalid, SERVICES, {}).join('\n')).toMatch(/compose gateway: PORT/);
  });

  it('a committed credential', () => {
    const literal = withService('postgres', (s) => (s.environment.POSTGRES_PASSWORD = 'hunter2'));
    expect(checkNoCommittedSecrets(literal).join('\n')).toMatch(/POSTGRES_PASSWORD holds a literal credential/);
    const inUrl = withService('migrate', (s) => (s.environment.DATABASE_URL = 'postgres://coorchat:hunter2@postgres:5432/coorchat'));
    expect(checkNoCommittedSecrets(inUrl).join('\n')).toMatch(/DATABASE_URL holds a literal credential/);
    const fallback = withService('gateway', (s) => (s.environment.JWT_SECRET = '${JWT_SECRET:-a1b2c3d4}'));
    expect(checkNoCommittedSecrets(fallback).join('\n')).toMatch(/falls back to "a1b2c3d4"/);
  });
});
