import { fileURLToPath } from 'node:url';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Workspace packages export a "source" condition pointing at their TypeScript sources, so tests
// (like `node --conditions=source --import tsx`) run without a build step.
const WORKSPACES = ['shared', 'gateway', 'persistence-service', 'retention-service'] as const;

/** Each workspace has a fast `unit` project and an `integration` project against real services. */
function projectsFor(workspace: string): TestProjectInlineConfiguration[] {
  return [
    {
      extends: true,
      test: { name: `${workspace}:unit`, include: [`${workspace}/test/unit/**/*.test.ts`] },
    },
    {
      extends: true,
      test: {
        name: `${workspace}:integration`,
        include: [`${workspace}/test/integration/**/*.test.ts`],
        globalSetup: [fromRoot('./shared/src/testing/global-setup.ts')],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    },
  ];
}

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    projects: [
      ...WORKSPACES.flatMap(projectsFor),
      // Deployment artefacts (Dockerfiles, compose, k8s, CI) checked against the services' config schemas,
      // plus `npm start` / `npm run demo` run as real processes (hence the global setup).
      {
        extends: true,
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          globalSetup: [fromRoot('./shared/src/testing/global-setup.ts')],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
    passWithNoTests: false,
  },
});
