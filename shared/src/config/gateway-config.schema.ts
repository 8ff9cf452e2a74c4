import { Type, type Static } from '@sinclair/typebox';
import { CommonEnv } from './load-config.js';

const ms = (defaultValue: number, minimum: number, description: string) =>
  Type.Integer({ minimum, default: defaultValue, description });

/** Environment of the gateway (`gateway/src/main.ts`). Secrets may come from `<NAME>_FILE` instead. */
export const GatewayEnv = Type.Object({
  ...CommonEnv,
  HOST: Type.String({ default: '0.0.0.0', description: 'Address the HTTP/WebSocket server binds to' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3000, description: 'Port of /ws, /api/stats, /healthz, /readyz, /metrics (0 = any free port)' }),
  GATEWAY_ID: Type.String({
    default: '',
    pattern: '^$|^[A-Za-z0-9_-]{1,100}$',
    description: 'This instance in presence events and the cluster directory (default: hostname + random suffix)',
  }),
  CHANNEL_TOKENS: Type.String({
    default: '',
    description: 'Per-channel shared tokens: `channel=sha256:<hex>` or `channel=<secret>`, separated by commas or newlines (or CHANNEL_TOKENS_FILE)',
  }),
  JWT_SECRET: Type.String({
    default: '',
    description: 'HS256 secret of signed agent tokens (claims channel, role, agentId/sub, exp); empty disables JWTs (or JWT_SECRET_FILE)',
  }),
  MAX_FRAME_BYTES: Type.Integer({ minimum: 1_024, maximum: 1_000_000, default: 131_072, description: 'Largest accepted WebSocket frame; larger closes with 1009' }),
  MAX_CONNECTIONS: Type.Integer({ minimum: 1, default: 10_000, description: 'WebSocket connections per process; upgrades beyond get 503' }),
  RATE_LIMIT_PER_SEC: Type.Number({ exclusiveMinimum: 0, default: 100, description: 'Frames per second and connection (token bucket refill rate)' }),
  RATE_LIMIT_BURST: Type.Integer({ minimum: 1, default: 200, description: 'Token bucket size: frames a connection may send at once' }),
  SEND_BUFFER_LIMIT_BYTES: Type.Integer({ minimum: 1_024, default: 4_194_304, description: 'Bytes queued to one client before it is closed as a slow consumer (4001)' }),
  HEARTBEAT_TIMEOUT_MS: ms(30_000, 100, 'A connection silent for longer is closed with 4000'),
  STREAM_MAX_AGE_HOURS: Type.Integer({
    minimum: 0,
    default: 168,
    description: 'max_age of the stream when the gateway creates it (0: no age limit); an existing stream is left as is',
  }),
  PUBLISH_TIMEOUT_MS: ms(2_000, 50, 'Wait for one JetStream PubAck before retrying with the same Nats-Msg-Id'),
  PUBLISH_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'Publish tries (timeouts, no responders) before a retryable publish_failed' }),
  PEER_BEACON_INTERVAL_MS: ms(5_000, 50, 'Gateways announce themselves this often; a peer silent for 3 intervals is dropped from the directory'),
  PEER_SYNC_TIMEOUT_MS: ms(500, 10, 'At boot, how long to collect the other gateways\' directory snapshots'),
  QUERY_TIMEOUT_MS: ms(5_000, 50, 'Wait for the persistence service to answer a cold query (history, agents, tasks) before a retryable timeout'),
});

export type GatewayEnv = Static<typeof GatewayEnv>;
