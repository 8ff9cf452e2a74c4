import type { TObject, TSchema } from '@sinclair/typebox';
import { CommonEnv } from './load-config.js';
import { GatewayEnv } from './gateway-config.schema.js';
import { PersistenceEnv } from './persistence-config.schema.js';
import { RetentionEnv } from './retention-config.schema.js';

/** Each service's env schema, by the name used in docs and deployment files. */
export const SERVICE_ENV_SCHEMAS = {
  gateway: GatewayEnv,
  'persistence-service': PersistenceEnv,
  'retention-service': RetentionEnv,
} as const satisfies Record<string, TObject>;

function formatDefault(schema: TSchema): string {
  const value = (schema as { default?: unknown }).default;
  if (value === undefined) return '*(required)*';
  if (value === '') return '*(empty)*';
  return `\`${String(value)}\``;
}

function row(name: string, schema: TSchema): string {
  const description = String((schema as { description?: string }).description ?? '').replaceAll('|', '\\|');
  return `| \`${name}\` | ${formatDefault(schema)} | ${description} |`;
}

function table(entries: [string, TSchema][]): string[] {
  return ['| variable | default | meaning |', '|---|---|---|', ...entries.map(([name, s]) => row(name, s))];
}

/**
 * The configuration reference as Markdown, generated from the env schemas the services validate
 * at boot, so the README cannot drift from what the code accepts.
 */
export function configReferenceMarkdown(): string {
  const common = new Set(Object.keys(CommonEnv));
  const lines: string[] = [
    '#### Every service',
    '',
    ...table(Object.entries(CommonEnv) as [string, TSchema][]),
  ];
  for (const [service, schema] of Object.entries(SERVICE_ENV_SCHEMAS)) {
    const own = Object.entries(schema.properties).filter(([name]) => !common.has(name)) as [string, TSchema][];
    lines.push('', `#### ${service}`, '', ...table(own));
  }
  return lines.join('\n');
}

/** The environment section of a service's `--help`: one line per variable with its default. */
export function envHelp(schema: TObject): string {
  return Object.entries(schema.properties)
    .map(([name, s]) => {
      const { default: fallback, description } = s as { default?: unknown; description?: string };
      const shown = fallback === undefined || fallback === '' ? '' : ` (default ${JSON.stringify(fallback)})`;
      return `  ${name.padEnd(26)}${description ?? ''}${shown}`;
    })
    .join('\n');
}
