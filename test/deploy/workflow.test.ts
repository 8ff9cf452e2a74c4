import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVICES } from '../../scripts/lib/services.js';
import { parseYaml, readRepoFile, repoPath } from './helpers/repo.js';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  strategy?: { matrix: Record<string, unknown[]> };
  services?: unknown;
  env?: Record<string, unknown>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const workflow = parseYaml(readRepoFile('.github/workflows/ci.yml'), 'ci.yml') as Workflow;
const rootPackage = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

/** Workspaces that have integration tests (a vitest `<workspace>:integration` project with files). */
function workspacesWithIntegrationTests(): string[] {
  return rootPackage.workspaces.filter((w) => {
    const dir = repoPath(w, 'test', 'integration');
    return existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.test.ts'));
  });
}

describe('.github/workflows/ci.yml', () => {
  it('runs on push and pull request', () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
  });

  it('sets up Node 20 with the npm cache and installs with npm ci in every job that runs npm', () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      if (!/\bnpm\b|\bnpx\b/.test(runs(job))) continue;
      const setup = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
      expect(setup, name).toBeDefined();
      expect(String(setup!.with?.['node-version']).replace('${{ env.NODE_VERSION }}', String(workflow.env?.NODE_VERSION))).toBe('20');
      expect(setup!.with?.cache).toBe('npm');
      expect(runs(job)).toMatch(/^npm ci\b/m);
    }
  });

  it('typechecks, lints, and runs the unit and deployment tests', () => {
    const all = Object.values(workflow.jobs).map(runs).join('\n');
    for (const command of ['npm run build', 'npm run lint', "npx vitest run --project '*:unit'", 'npx vitest run --project deploy']) {
      expect(all).toContain(command);
    }
  });

  it('runs the integration tests per workspace as a matrix covering every workspace that has them', () => {
    const job = Object.values(workflow.jobs).find((j) => runs(j).includes(':integration'))!;
    const matrix = Object.values(job.strategy!.matrix)[0] as string[];
    expect([...matrix].sort()).toEqual(expect.arrayContaining(SERVICES.map((s) => s.name)));
    expect([...matrix].sort()).toEqual(expect.arrayContaining(workspacesWithIntegrationTests()));
    expect(runs(job)).toMatch(/npx vitest run --project '\$\{\{ matrix\.\w+ \}\}:integration'/);
  });

  it('leaves DATABASE_URL and NATS_URL unset so the tests start PostgreSQL and NATS with testcontainers', () => {
    const text = readRepoFile('.github/workflows/ci.yml');
    const nonComment = text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
    expect(nonComment).not.toMatch(/DATABASE_URL|NATS_URL/);
    for (const job of Object.values(workflow.jobs)) expect(job.services).toBeUndefined();
  });

  it('builds every service image from its Dockerfile without pushing', () => {
    const job = Object.values(workflow.jobs).find((j) => j.steps.some((s) => s.uses?.startsWith('docker/build-push-action@')))!;
    expect([...(Object.values(job.strategy!.matrix)[0] as string[])].sort()).toEqual(SERVICES.map((s) => s.name).sort());
    const build = job.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(build.with?.push).toBe(false);
    expect(build.with?.file).toMatch(/^\$\{\{ matrix\.\w+ \}\}\/Dockerfile$/);
    expect(build.with?.context).toBe('.');
  });
});
