import type { K8sObject } from './k8s-models.js';
import { NAME_LABEL, byKind, podTemplates, selects, type PodTemplate } from './k8s-manifests.js';

type Selector = Parameters<typeof selects>[0];

interface PolicyPort {
  port?: number | string;
  protocol?: string;
}
interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string };
}
interface PolicySpec {
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[];
}

/** Anyone, inside or outside the cluster. */
export const ANYWHERE = '*';

function portMatches(template: PodTemplate, ports: PolicyPort[] | undefined, port: number): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') return p.port === port;
    return template.spec.containers.some((c) => c.ports?.some((cp) => cp.name === p.port && cp.containerPort === port));
  });
}

/**
 * Who may open a connection to `component` on `port` under the NetworkPolicies in `docs`: component
 * names of pods in the namespace, `namespace:<labels>` for other namespaces, or ANYWHERE. A pod that no
 * policy selects is open to anyone (Kubernetes' default).
 */
export function allowedSources(docs: readonly K8sObject[], component: string, port: number): Set<string> {
  const templates = podTemplates(docs);
  const target = templates.find((t) => t.labels[NAME_LABEL] === component);
  if (!target) throw new Error(`no pod template for ${component}`);
  const policies = byKind<{ spec: PolicySpec }>(docs, 'NetworkPolicy').filter(
    (p) => (p.spec.policyTypes ?? ['Ingress']).includes('Ingress') && selects(p.spec.podSelector, target.labels),
  );
  const sources = new Set<string>();
  if (policies.length === 0) return new Set([ANYWHERE]);
  for (const policy of policies) {
    for (const rule of policy.spec.ingress ?? []) {
      if (!portMatches(target, rule.ports, port)) continue;
      if (!rule.from || rule.from.length === 0) {
        sources.add(ANYWHERE);
        continue;
      }
      for (const peer of rule.from) {
        if (peer.ipBlock) sources.add(ANYWHERE);
        else if (peer.namespaceSelector) sources.add(`namespace:${JSON.stringify(peer.namespaceSelector)}`);
        else if (peer.podSelector) {
          for (const t of templates) if (selects(peer.podSelector, t.labels)) sources.add(t.labels[NAME_LABEL] ?? '?');
        }
      }
    }
  }
  return sources;
}

/** Components reachable from ANYWHERE on some declared container port. */
export function publiclyReachable(docs: readonly K8sObject[]): string[] {
  return podTemplates(docs)
    .filter((t) => {
      const component = t.labels[NAME_LABEL];
      if (!component) return false;
      const ports = t.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
      return ports.some((port) => allowedSources(docs, component, port).has(ANYWHERE));
    })
    .map((t) => t.labels[NAME_LABEL]!);
}
