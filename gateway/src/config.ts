import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { GatewayEnv, loadEnv } from '@coorchat/shared';
import { parseChannelTokens, type ChannelTokenEntry } from './auth/channel-tokens.js';

/** The gateway's validated configuration, in the shape the code uses. */
export interface GatewayConfig {
  host: string;
  port: number;
  gatewayId: string;
  logLevel: GatewayEnv['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  nats: {
    url: string;
    stream: string;
    subjectPrefix: string;
    streamMaxAgeHours: number;
    streamReplicas: number;
    publishTimeoutMs: number;
    publishAttempts: number;
  };
  auth: {
    channelTokens: ChannelTokenEntry[];
    /** Empty: signed tokens are not accepted. */
    jwtSecret: string;
  };
  limits: {
    maxFrameBytes: number;
    maxConnections: number;
    ratePerSec: number;
    rateBurst: number;
    sendBufferLimitBytes: number;
    heartbeatTimeoutMs: number;
  };
  cluster: {
    beaconIntervalMs: number;
    syncTimeoutMs: number;
  };
  queries: {
    /** Wait for the persistence service's reply to one cold query. */
    timeoutMs: number;
  };
}

/** A default instance id: the host name (a pod name under Kubernetes) made subject-safe, plus a short random part. */
export function defaultGatewayId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80) || 'gateway';
  return `${host}-${randomBytes(3).toString('hex')}`;
}

/** Maps a validated environment to the gateway's config. */
export function toGatewayConfig(env: GatewayEnv): GatewayConfig {
  return {
    host: env.HOST,
    port: env.PORT,
    gatewayId: env.GATEWAY_ID || defaultGatewayId(),
    logLevel: env.LOG_LEVEL,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    nats: {
      url: env.NATS_URL,
      stream: env.NATS_STREAM,
      subjectPrefix: env.NATS_SUBJECT_PREFIX,
      streamMaxAgeHours: env.STREAM_MAX_AGE_HOURS,
      streamReplicas: env.NATS_STREAM_REPLICAS,
      publishTimeoutMs: env.PUBLISH_TIMEOUT_MS,
      publishAttempts: env.PUBLISH_ATTEMPTS,
    },
    auth: { channelTokens: parseChannelTokens(env.CHANNEL_TOKENS), jwtSecret: env.JWT_SECRET },
    limits: {
      maxFrameBytes: env.MAX_FRAME_BYTES,
      maxConnections: env.MAX_CONNECTIONS,
      ratePerSec: env.RATE_LIMIT_PER_SEC,
      rateBurst: env.RATE_LIMIT_BURST,
      sendBufferLimitBytes: env.SEND_BUFFER_LIMIT_BYTES,
      heartbeatTimeoutMs: env.HEARTBEAT_TIMEOUT_MS,
    },
    cluster: { beaconIntervalMs: env.PEER_BEACON_INTERVAL_MS, syncTimeoutMs: env.PEER_SYNC_TIMEOUT_MS },
    queries: { timeoutMs: env.QUERY_TIMEOUT_MS },
  };
}

/** Reads, validates and maps the environment (throws ConfigError listing every problem). */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return toGatewayConfig(loadEnv(GatewayEnv, env));
}
