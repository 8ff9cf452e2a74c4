import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { ConfigError, loadEnv } from '@coorchat/shared';

/**
 * One environment variable a deployment gives a process. `value` is undefined when it is only known
 * at run time (a Secret or field reference, a file); literal values are checked against the schema.
 */
export interface EnvAssignment {
  name: string;
  value?: string;
}

const FILE_SUFFIX = '_FILE';

/** Variables of `schema` that have no default: the service refuses to start without them. */
export function requiredVariables(schema: TObject): string[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties)
    .filter(([name, property]) => required.has(name) && (property as { default?: unknown }).default === undefined)
    .map(([name]) => name);
}

/**
 * Checks what a deployment sets against a service's env schema (the one `loadEnv` validates at boot):
 * every variable is one the schema knows (or its `<NAME>_FILE` form), every required one is set,
 * and every literal value passes the schema (types, ranges, patterns).
 */
export function checkEnvAgainstSchema(where: string, schema: TObject, assignments: readonly EnvAssignment[]): string[] {
  const problems: string[] = [];
  const known = new Set(Object.keys(schema.properties));
  const set = new Set<string>();
  const literals: Record<string, string> = {};
  for (const { name, value } of assignments) {
    const base = name.endsWith(FILE_SUFFIX) ? name.slice(0, -FILE_SUFFIX.length) : undefined;
    if (known.has(name)) {
      set.add(name);
      if (value !== undefined) literals[name] = value;
    } else if (base !== undefined && known.has(base)) {
      set.add(base);
    } else {
      problems.push(`${where}: ${name} is not a variable this service knows`);
    }
  }
  for (const name of requiredVariables(schema)) {
    if (!set.has(name)) problems.push(`${where}: required variable ${name} is not set`);
  }
  const literalProperties: Record<string, TSchema> = {};
  for (const name of Object.keys(literals)) literalProperties[name] = schema.properties[name]!;
  try {
    loadEnv(Type.Object(literalProperties), literals);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems.map((p) => `${where}: ${p}`));
  }
  return problems;
}
