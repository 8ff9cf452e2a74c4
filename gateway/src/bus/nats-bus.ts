import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { createSubjects, ensureStream, type Subjects } from '@coorchat/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayConfig } from '../config.js';

/** The gateway's NATS connection and what it derives from it. */
export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: Subjects;
  streamName: string;
  /** False between a disconnect and the next reconnect. */
  readonly connected: boolean;
}

/** Reconnect pause; with unlimited attempts the gateway rides out NATS restarts instead of dying. */
const RECONNECT_WAIT_MS = 1_000;

/** Connects to NATS and makes sure the relay stream exists (created on first boot). */
export async function connectBus(config: GatewayConfig['nats'], gatewayId: string, log: FastifyBaseLogger): Promise<Bus> {
  const nc = await connect({
    servers: config.url.split(',').map((s) => s.trim()),
    name: `coorchat-gateway ${gatewayId}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    // Capturing a stack trace per request costs more than the rest of a publish on the hot path.
    noAsyncTraces: true,
  });
  const link = { connected: true };
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') link.connected = false;
      else if (status.type === 'reconnect') link.connected = true;
      else if (status.type === 'pingTimer' || status.type === 'staleConnection') continue;
      log.info({ nats: status.type, data: typeof status.data === 'string' ? status.data : undefined }, 'NATS connection status');
    }
  })();
  try {
    const jsm = await nc.jetstreamManager();
    const subjects = createSubjects(config.subjectPrefix);
    await ensureStream(jsm, { name: config.stream, subjects: subjects.streamSubjects, maxAgeHours: config.streamMaxAgeHours, replicas: config.streamReplicas });
    return {
      nc,
      js: nc.jetstream(),
      jsm,
      subjects,
      streamName: config.stream,
      get connected() {
        return link.connected && !nc.isClosed();
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

/** Readiness of the bus: NATS connected, and the stream answers. */
export async function busReadiness(bus: Bus): Promise<{ nats: boolean; stream: boolean }> {
  if (!bus.connected || bus.nc.isDraining()) return { nats: false, stream: false };
  try {
    await bus.jsm.streams.info(bus.streamName);
    return { nats: true, stream: true };
  } catch {
    return { nats: bus.connected, stream: false };
  }
}
