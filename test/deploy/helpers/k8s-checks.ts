import type { IContainer } from 'kubernetes-models/v1';
import { envDefault, type ServiceDefinition } from '../../../scripts/lib/services.js';
import { checkEnvAgainstSchema, type EnvAssignment } from './env-check.js';
import { validateAgainstApi, type K8sObject } from './k8s-models.js';
import {
  NAME_LABEL,
  byKind,
  podTemplates,
  resolvePort,
  selects,
  where,
  type LoadedManifest,
  type PodTemplate,
} from './k8s-manifests.js';

type Selector = Parameters<typeof selects>[0];

/** Every object validates strictly against the Kubernetes API schema of its kind. */
export function checkApiSchemas(docs: readonly K8sObject[]): string[] {
  return docs.flatMap((doc) => validateAgainstApi(doc));
}

/** `kubectl apply -f k8s` sends files in name order: the Namespace must come first, everything else in it. */
export function checkApplyOrder(manifests: readonly LoadedManifest[]): string[] {
  const first = manifests[0];
  if (first?.doc.kind !== 'Namespace') return [`the first object applied must be the Namespace, got ${first ? where(first.doc) : 'nothing'}`];
  const namespace = first.doc.metadata.name;
  return manifests
    .filter(({ doc }) => doc.kind !== 'Namespace' && doc.metadata.namespace !== namespace)
    .map(({ file, doc }) => `${file} ${where(doc)}: namespace ${doc.metadata.namespace ?? '(none)'} is not ${namespace}`);
}

/** Selectors and references: every selector selects pods that exist, every reference names an object that exists. */
export function checkSelectorsAndReferences(docs: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const templates = podTemplates(docs);
  for (const template of templates) {
    const selector = (template.workload.spec as { selector?: Selector }).selector;
    if (template.workload.kind !== 'Job' && !selects(selector, template.labels)) {
      problems.push(`${where(template.workload)}: selector does not match its pod template labels`);
    }
  }
  const services = byKind<{ spec: { selector?: Record<string, string>; ports?: { name?: string; port: number; targetPort?: number | string }[] } }>(docs, 'Service');
  for (const service of services) {
    const selected = templates.filter((t) => selects({ matchLabels: service.spec.selector }, t.labels));
    if (!service.spec.selector || selected.length === 0) {
      problems.push(`${where(service)}: selector ${JSON.stringify(service.spec.selector)} matches no pod template`);
      continue;
    }
    for (const port of service.spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      const served = selected.some((t) => t.spec.containers.some((c) => c.ports?.some((p) => p.containerPort === resolvePort(c, target))));
      if (!served) problems.push(`${where(service)}: targetPort ${target} is no container port of the selected pods`);
    }
  }
  for (const ingress of byKind<{ spec: { rules?: { http?: { paths: { backend: { service?: { name: string; port: { name?: string; number?: number } } } }[] } }[] } }>(docs, 'Ingress')) {
    for (const rule of ingress.spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        if (!backend) continue;
        const service = services.find((s) => s.metadata.name === backend.name);
        const hasPort = service?.spec.ports?.some((p) => (backend.port.name !== undefined ? p.name === backend.port.name : p.port === backend.port.number));
        if (!service || !hasPort) problems.push(`${where(ingress)}: backend ${backend.name}:${backend.port.name ?? backend.port.number} is no Service port`);
      }
    }
  }
  for (const hpa of byKind<{ spec: { scaleTargetRef: { kind: string; name: string } } }>(docs, 'HorizontalPodAutoscaler')) {
    const target = hpa.spec.scaleTargetRef;
    const scaled = docs.find((d) => d.kind === target.kind && d.metadata.name === target.name);
    if (!scaled) problems.push(`${where(hpa)}: scale target ${target.kind}/${target.name} does not exist`);
    // A fixed count would be re-applied over the autoscaler's on every `kubectl apply`.
    else if ((scaled.spec as { replicas?: number }).replicas !== undefined) problems.push(`${where(scaled)}: sets replicas although ${where(hpa)} owns them`);
  }
  for (const selecting of [...byKind<{ spec: { selector?: Selector } }>(docs, 'PodDisruptionBudget')]) {
    if (!templates.some((t) => selects(selecting.spec.selector, t.labels))) problems.push(`${where(selecting)}: selector matches no pod template`);
  }
  for (const policy of byKind<{ spec: { podSelector: Selector } }>(docs, 'NetworkPolicy')) {
    if (!templates.some((t) => selects(policy.spec.podSelector, t.labels))) problems.push(`${where(policy)}: podSelector matches no pod template`);
  }
  const configMaps = new Set(byKind(docs, 'ConfigMap').map((c) => c.metadata.name));
  for (const template of templates) {
    for (const volume of template.spec.volumes ?? []) {
      if (volume.configMap && !configMaps.has(volume.configMap.name ?? '')) {
        problems.push(`${where(template.workload)}: volume ${volume.name} names a missing ConfigMap ${volume.configMap.name}`);
      }
    }
  }
  return problems;
}

/** The name of the pod (and so of the component) a template runs: its `app.kubernetes.io/name` label. */
export function componentOf(template: PodTemplate): string | undefined {
  return template.labels[NAME_LABEL];
}

/** Env a container gets from envFrom (ConfigMaps/Secrets in `docs`) and env; problems for missing sources. */
export function containerEnv(
  docs: readonly K8sObject[],
  secretTemplate: K8sObject,
  container: IContainer,
): { assignments: EnvAssignment[]; problems: string[] } {
  const assignments: EnvAssignment[] = [];
  const problems: string[] = [];
  const secretKeys = Object.keys({ ...(secretTemplate.stringData as object), ...(secretTemplate.data as object) });
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const configMap = byKind<{ data?: Record<string, string> }>(docs, 'ConfigMap').find((c) => c.metadata.name === source.configMapRef!.name);
      if (!configMap) {
        problems.push(`container ${container.name}: envFrom ConfigMap ${source.configMapRef.name} does not exist`);
        continue;
      }
      for (const [name, value] of Object.entries(configMap.data ?? {})) assignments.push({ name: `${source.prefix ?? ''}${name}`, value });
    }
    if (source.secretRef) {
      if (source.secretRef.name !== secretTemplate.metadata.name) problems.push(`container ${container.name}: envFrom Secret ${source.secretRef.name} is not ${secretTemplate.metadata.name}`);
      for (const name of secretKeys) assignments.push({ name: `${source.prefix ?? ''}${name}` });
    }
  }
  for (const variable of container.env ?? []) {
    assignments.push(variable.value !== undefined ? { name: variable.name, value: variable.value } : { name: variable.name });
  }
  return { assignments, problems };
}

/** Workloads that run the services: each has its container named like the service. */
export function serviceContainers(docs: readonly K8sObject[], name: string): { template: PodTemplate; container: IContainer }[] {
  return podTemplates(docs)
    .filter((t) => componentOf(t) === name)
    .flatMap((template) => template.spec.containers.filter((c) => c.name === name).map((container) => ({ template, container })));
}

/** The repository part of an image reference (`coorchat/gateway:0.1.0` → `coorchat/gateway`). */
export function imageRepository(image: string | undefined): string {
  return (image ?? '').replace(/[:@][^/]*$/, '');
}

/**
 * Every container that runs one of our images (services, init containers, the migration Job) gets
 * only variables that image's config schema knows, every required one, and valid literal values.
 */
export function checkEnv(docs: readonly K8sObject[], secretTemplate: K8sObject, services: readonly ServiceDefinition[]): string[] {
  const problems: string[] = [];
  for (const service of services) {
    if (serviceContainers(docs, service.name).length === 0) {
      problems.push(`no workload runs ${service.name} (label ${NAME_LABEL}=${service.name}, container ${service.name})`);
    }
  }
  for (const template of podTemplates(docs)) {
    for (const container of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
      const service = services.find((s) => imageRepository(container.image) === s.image);
      if (!service) continue;
      const at = `${where(template.workload)} container ${container.name}`;
      const { assignments, problems: sourceProblems } = containerEnv(docs, secretTemplate, container);
      problems.push(...sourceProblems.map((p) => `${at}: ${p}`));
      problems.push(...checkEnvAgainstSchema(at, service.envSchema, assignments));
    }
  }
  return problems;
}

/** The literal value a container ends up with for one variable (env wins over envFrom), or the schema default. */
export function effectiveValue(docs: readonly K8sObject[], secretTemplate: K8sObject, container: IContainer, name: string, fallback: unknown): unknown {
  const { assignments } = containerEnv(docs, secretTemplate, container);
  const last = assignments.filter((a) => a.name === name).at(-1);
  return last?.value ?? fallback;
}

/** Probes hit the service's health paths on the port it listens on; the container declares that port. */
export function checkProbes(docs: readonly K8sObject[], secretTemplate: K8sObject, services: readonly ServiceDefinition[]): string[] {
  const problems: string[] = [];
  for (const service of services) {
    for (const { template, container } of serviceContainers(docs, service.name)) {
      const at = `${where(template.workload)}`;
      const port = Number(effectiveValue(docs, secretTemplate, container, service.portVariable, envDefault(service, service.portVariable)));
      if (!container.ports?.some((p) => p.containerPort === port)) problems.push(`${at}: container does not declare port ${port} (${service.portVariable})`);
      const probes = { readinessProbe: service.health.readiness, livenessProbe: service.health.liveness } as const;
      for (const [kind, path] of Object.entries(probes)) {
        const probe = container[kind as keyof typeof probes];
        if (!probe?.httpGet) {
          problems.push(`${at}: no ${kind} httpGet`);
          continue;
        }
        if (probe.httpGet.path !== path) problems.push(`${at}: ${kind} path ${probe.httpGet.path} is not ${path}`);
        const probePort = resolvePort(container, probe.httpGet.port);
        if (probePort !== port) problems.push(`${at}: ${kind} port ${String(probe.httpGet.port)} is not the service port ${port}`);
      }
    }
  }
  return problems;
}

function preStopSleepSeconds(container: IContainer): number {
  const command = container.lifecycle?.preStop?.exec?.command;
  if (command?.[0] === 'sleep' && command[1] !== undefined) return Number(command[1]);
  return 0;
}

/** The pod gets killed only after preStop + the service's own shutdown deadline had time to run. */
export function checkShutdownBudget(docs: readonly K8sObject[], secretTemplate: K8sObject, services: readonly ServiceDefinition[]): string[] {
  const problems: string[] = [];
  for (const service of services) {
    for (const { template, container } of serviceContainers(docs, service.name)) {
      const at = `${where(template.workload)}`;
      const timeoutMs = Number(effectiveValue(docs, secretTemplate, container, 'SHUTDOWN_TIMEOUT_MS', envDefault(service, 'SHUTDOWN_TIMEOUT_MS')));
      const preStopMs = preStopSleepSeconds(container) * 1_000;
      if (preStopMs === 0) problems.push(`${at}: no preStop sleep (endpoints removal must reach proxies before the drain)`);
      const graceMs = (template.spec.terminationGracePeriodSeconds ?? 30) * 1_000;
      if (graceMs <= preStopMs + timeoutMs) {
        problems.push(`${at}: terminationGracePeriodSeconds ${graceMs / 1_000}s does not exceed preStop ${preStopMs / 1_000}s + SHUTDOWN_TIMEOUT_MS ${timeoutMs / 1_000}s`);
      }
    }
  }
  return problems;
}

/** Every container runs as non-root without privilege escalation and has CPU/memory requests and a memory limit. */
export function checkPodHardening(docs: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const template of podTemplates(docs)) {
    const pod = template.spec.securityContext ?? {};
    for (const container of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
      const at = `${where(template.workload)} container ${container.name}`;
      const context = container.securityContext ?? {};
      const nonRoot = context.runAsNonRoot ?? pod.runAsNonRoot;
      const user = context.runAsUser ?? pod.runAsUser;
      if (nonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (user === undefined || user === 0) problems.push(`${at}: runAsUser must be a non-zero uid`);
      if (context.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
      const resources = container.resources ?? {};
      for (const resource of ['cpu', 'memory']) {
        if (resources.requests?.[resource] === undefined) problems.push(`${at}: no ${resource} request`);
      }
      if (resources.limits?.memory === undefined) problems.push(`${at}: no memory limit`);
    }
  }
  return problems;
}

/** Every Secret key a pod reads exists in the template; the template holds only placeholders. */
export function checkSecretReferences(docs: readonly K8sObject[], secretTemplate: K8sObject, placeholder = 'REPLACE_ME'): string[] {
  const problems: string[] = [];
  const data = { ...(secretTemplate.stringData as Record<string, string>) };
  const name = secretTemplate.metadata.name;
  for (const [key, value] of Object.entries(data)) {
    if (!value.includes(placeholder)) problems.push(`secret template: ${key} holds a value instead of a ${placeholder} placeholder`);
  }
  if (secretTemplate.data !== undefined) problems.push('secret template: use stringData placeholders, not base64 data');
  if (docs.some((d) => d.kind === 'Secret')) problems.push('a Secret is applied with the manifests: secrets are created out of band (k8s/templates/secret.yaml)');
  for (const template of podTemplates(docs)) {
    for (const volume of template.spec.volumes ?? []) {
      if (!volume.secret) continue;
      if (volume.secret.secretName !== name) problems.push(`${where(template.workload)}: volume ${volume.name} uses unknown Secret ${volume.secret.secretName}`);
      for (const item of volume.secret.items ?? []) {
        if (!(item.key in data)) problems.push(`${where(template.workload)}: Secret key ${item.key} is not in the template`);
      }
    }
    for (const container of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
      const mountedFiles = new Set<string>();
      for (const mount of container.volumeMounts ?? []) {
        const volume = template.spec.volumes?.find((v) => v.name === mount.name);
        for (const item of volume?.secret?.items ?? []) mountedFiles.add(`${mount.mountPath}/${item.path}`);
      }
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref && (ref.name !== name || !(ref.key in data))) problems.push(`${where(template.workload)}: ${variable.name} refers to missing ${ref.name}/${ref.key}`);
        if (variable.name.endsWith('_FILE') && variable.value !== undefined && !mountedFiles.has(variable.value)) {
          problems.push(`${where(template.workload)} container ${container.name}: ${variable.name}=${variable.value} is no mounted Secret item`);
        }
      }
    }
  }
  return problems;
}
