import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVICES, defaultPort } from '../../scripts/lib/services.js';
import { execForm, parseDockerfile } from './helpers/dockerfile.js';
import { readRepoFile, repoPath } from './helpers/repo.js';

const rootPackage = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };

describe.each(SERVICES.map((s) => [s.name, s] as const))('%s/Dockerfile', (_name, service) => {
  const { stages } = parseDockerfile(readRepoFile(service.workspace, 'Dockerfile'));
  const runtime = stages.at(-1)!;
  const build = stages[0]!;
  const runs = (stage: typeof runtime) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const last = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).at(-1);

  it('is multi-stage on Node 22 LTS (slim or alpine)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.from).toMatch(/^node:22(\.\d+)*-(alpine|.*slim)/);
  });

  it('installs every workspace manifest (npm ci checks the whole lock) and compiles in the build stage', () => {
    for (const stage of stages) {
      const copied = stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
      for (const workspace of rootPackage.workspaces) {
        expect(copied, `${workspace}/package.json`).toContain(`${workspace}/package.json ${workspace}/`);
      }
    }
    expect(runs(build).some((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev'))).toBe(true);
    expect(runs(build).some((r) => r.includes(`tsc -b ${service.workspace}`))).toBe(true);
  });

  it('ships only production dependencies of the service and shared', () => {
    const install = runs(runtime).find((r) => r.startsWith('npm ci'));
    expect(install).toContain('--omit=dev');
    expect(install).toContain(`-w ${service.packageName}`);
    expect(install).toContain('-w @coorchat/shared');
  });

  it('runs as a non-root numeric user', () => {
    const user = last('USER')?.args.split(':')[0];
    expect(user).toMatch(/^[1-9]\d*$/);
  });

  it('starts the compiled entry point with node (signals reach it) and exposes the default port', () => {
    expect(execForm(last('CMD')!.args)).toEqual(['node', `${service.workspace}/${service.entry.compiled}`]);
    expect(existsSync(repoPath(service.workspace, service.entry.source))).toBe(true);
    expect(last('EXPOSE')?.args).toBe(String(defaultPort(service)));
  });

  it('has a HEALTHCHECK with node (no curl) on the liveness path and default port', () => {
    const healthcheck = last('HEALTHCHECK')!.args;
    const command = execForm(healthcheck)!;
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain(service.health.liveness);
    expect(command.join(' ')).toContain(`process.env.${service.portVariable}||${defaultPort(service)}`);
  });
});

describe('.dockerignore', () => {
  it('keeps local installs, builds, git data and env files out of the build context', () => {
    const lines = readRepoFile('.dockerignore').split('\n').map((l) => l.trim());
    for (const pattern of ['**/node_modules', '**/dist', '.git', '.env']) expect(lines).toContain(pattern);
  });
});
