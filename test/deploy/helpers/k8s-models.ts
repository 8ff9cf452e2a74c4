import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

/** A parsed Kubernetes object: only the fields every check reads are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

interface ValidatingModel {
  validate(): void;
}
type ModelClass = new (data: object) => ValidatingModel;

/** The kinds our manifests may use, each with the model generated from the Kubernetes OpenAPI schema. */
const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

type ReadLog = Map<object, Set<PropertyKey>>;

/** Wraps `value` so every property the validator reads is logged per object. */
function tracked<T>(value: T, log: ReadLog): T {
  if (value === null || typeof value !== 'object') return value;
  const target = value as object;
  const reads = new Set<PropertyKey>();
  log.set(target, reads);
  const children = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, key, receiver) {
      reads.add(key);
      const child = Reflect.get(obj, key, receiver) as unknown;
      if (child === null || typeof child !== 'object') return child;
      if (!children.has(key)) children.set(key, tracked(child, log));
      return children.get(key);
    },
  }) as T;
}

/** Paths of object keys the schema never looked at: unknown fields (typos such as `readinesProbe`). */
function unreadKeys(value: unknown, log: ReadLog, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => unreadKeys(item, log, `${path}/${i}`, out));
    return;
  }
  const reads = log.get(value);
  for (const [key, child] of Object.entries(value)) {
    if (!reads?.has(key)) out.push(`${path}/${key}`);
    else unreadKeys(child, log, `${path}/${key}`, out);
  }
}

/**
 * Validates one object against the Kubernetes API schema of its kind, strictly: besides the schema's
 * own rules (types, required fields, enums), any field the schema does not define is reported, like
 * `kubectl apply --validate=strict` would.
 */
export function validateAgainstApi(doc: K8sObject): string[] {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  const where = `${doc.kind}/${doc.metadata?.name ?? '?'}`;
  if (!Model) return [`${where}: kind ${doc.apiVersion}/${doc.kind} is not one the checks know`];
  const model = new Model(structuredClone(doc));
  const log: ReadLog = new Map();
  const proxy = tracked(model, log);
  try {
    model.validate.call(proxy);
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
  const unknown: string[] = [];
  unreadKeys(model, log, '', unknown);
  return unknown.map((path) => `${where}: unknown field ${path}`);
}
