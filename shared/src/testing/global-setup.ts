import type { TestProject } from 'vitest/node';
import { isNatsReachable, isPostgresReachable } from './test-env.js';

/**
 * True when a container runtime answers, found the way testcontainers itself finds it (DOCKER_HOST,
 * ~/.testcontainers.properties, the default socket, rootless/Podman/Colima sockets): a `docker` CLI
 * is neither needed nor enough.
 */
async function containerRuntimeAvailable(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

type Stoppable = { stop(): Promise<unknown> };
const started: Stoppable[] = [];

/**
 * Vitest global setup: use DATABASE_URL / NATS_URL or the local servers when they answer; where
 * neither does and a Docker engine exists (GitHub runners), start them with testcontainers.
 * Workers inherit the resulting environment.
 */
export async function setup(_project: TestProject): Promise<void> {
  const needNats = !(await isNatsReachable());
  const needPg = !(await isPostgresReachable());
  if (!needNats && !needPg) return;
  if (!(await containerRuntimeAvailable())) {
    const missing = [needNats && 'NATS (NATS_URL)', needPg && 'PostgreSQL (DATABASE_URL)'].filter(Boolean);
    throw new Error(
      `integration tests need ${missing.join(' and ')}: none answers and no Docker engine is available for testcontainers`,
    );
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  if (needNats) {
    const nats = await new GenericContainer('nats:2.11-alpine')
      .withCommand(['-js', '-m', '8222'])
      .withExposedPorts(4222, 8222)
      .withWaitStrategy(Wait.forHttp('/healthz', 8222))
      .start();
    started.push(nats);
    process.env.NATS_URL = `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`;
  }
  if (needPg) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const postgres = await new PostgreSqlContainer('postgres:16-alpine')
      .withUsername('postgres')
      .withPassword('postgres')
      .withDatabase('postgres')
      .start();
    started.push(postgres);
    process.env.DATABASE_URL = postgres.getConnectionUri();
  }
}

export async function teardown(): Promise<void> {
  await Promise.allSettled(started.map((c) => c.stop()));
}
