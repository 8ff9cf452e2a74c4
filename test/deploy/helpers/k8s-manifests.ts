import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import type { K8sObject } from './k8s-models.js';
import { listRepoFiles, parseYamlDocuments, readRepoFile } from './repo.js';

export type { IContainer, IPodSpec };

/** A manifest with the file it came from (apply order is file order). */
export interface LoadedManifest {
  file: string;
  doc: K8sObject;
}

export const NAME_LABEL = 'app.kubernetes.io/name';

/** Every object of every `*.yaml`/`*.yml` file that `kubectl apply -f <folder>` would send, in apply order. */
export function loadManifests(folder = 'k8s'): LoadedManifest[] {
  const manifests: LoadedManifest[] = [];
  for (const file of listRepoFiles(folder, ['.yaml', '.yml', '.json'])) {
    for (const doc of parseYamlDocuments(readRepoFile(folder, file), `${folder}/${file}`)) {
      manifests.push({ file, doc: doc as K8sObject });
    }
  }
  return manifests;
}

/** A pod template inside a workload (Deployment, StatefulSet, Job). */
export interface PodTemplate {
  workload: K8sObject;
  labels: Record<string, string>;
  spec: IPodSpec;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

export function podTemplates(docs: readonly K8sObject[]): PodTemplate[] {
  return docs
    .filter((doc) => WORKLOAD_KINDS.has(doc.kind))
    .map((doc) => {
      const template = (doc.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: IPodSpec } })
        .template;
      return { workload: doc, labels: template.metadata?.labels ?? {}, spec: template.spec };
    });
}

/** Does a label selector (matchLabels + matchExpressions, or a Service's plain map) select these labels? */
export function selects(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  const matchLabels = selector.matchLabels ?? {};
  for (const [key, value] of Object.entries(matchLabels)) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const value = labels[expression.key];
    const values = expression.values ?? [];
    const ok =
      expression.operator === 'In' ? value !== undefined && values.includes(value)
      : expression.operator === 'NotIn' ? value === undefined || !values.includes(value)
      : expression.operator === 'Exists' ? value !== undefined
      : expression.operator === 'DoesNotExist' ? value === undefined
      : false;
    if (!ok) return false;
  }
  return true;
}

export function byKind<T = K8sObject>(docs: readonly K8sObject[], kind: string): (K8sObject & T)[] {
  return docs.filter((doc) => doc.kind === kind) as (K8sObject & T)[];
}

export function where(doc: K8sObject): string {
  return `${doc.kind}/${doc.metadata.name}`;
}

/** Resolves a probe/Service port (number or container port name) to a number, if the container declares it. */
export function resolvePort(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
