import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/** Absolute path of a file in the repository. */
export function repoPath(...segments: string[]): string {
  return join(fileURLToPath(new URL('../../../', import.meta.url)), ...segments);
}

export function readRepoFile(...segments: string[]): string {
  return readFileSync(repoPath(...segments), 'utf8');
}

/** Parses one YAML document, failing on any YAML error (duplicate keys included). */
export function parseYaml(text: string, where: string): unknown {
  try {
    return parse(text, { uniqueKeys: true, strict: true, prettyErrors: true });
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
}

/** Parses every document of a multi-document YAML file, skipping empty ones. */
export function parseYamlDocuments(text: string, where: string): unknown[] {
  const documents = parseAllDocuments(text, { uniqueKeys: true, strict: true, prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const values: unknown[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/** Files of a repository folder (not recursive), sorted by name. */
export function listRepoFiles(folder: string, extensions: readonly string[]): string[] {
  return readdirSync(repoPath(folder), { withFileTypes: true })
    .filter((entry) => entry.isFile() && extensions.some((ext) => entry.name.endsWith(ext)))
    .map((entry) => entry.name)
    .sort();
}
