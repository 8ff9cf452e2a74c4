import type { FastifyInstance, preValidationHookHandler } from 'fastify';
import { QUERIES, type QueryName } from '@coorchat/shared';
import type { QueryClient } from '../queries/query-client.js';

/** Query-string parameters that belong to authentication (auth-hook.ts), not to the query. */
const AUTH_PARAMS = new Set(['access_token', 'channel']);

/**
 * The cold queries over HTTP, authenticated like `/api/stats` and scoped to the caller's channel:
 * `GET /api/history`, `/api/agents`, `/api/tasks`, `/api/tasks/:taskId`. The body is the query's
 * result; errors use the app's error mapping (400 `invalid_frame` with `field`, 404, 503, 504).
 */
export function queryRoutes(app: FastifyInstance, options: { queries: QueryClient; authenticate: preValidationHookHandler }): void {
  const { queries, authenticate } = options;
  const route = (path: string, name: Exclude<QueryName, 'task'>) =>
    app.get(path, { preValidation: authenticate }, (request) =>
      queries.query(name, request.principal!.channel, paramsFromQueryString(name, request.query)),
    );
  route('/api/history', 'history');
  route('/api/agents', 'agents');
  route('/api/tasks', 'tasks');
  app.get<{ Params: { taskId: string } }>('/api/tasks/:taskId', { preValidation: authenticate }, (request) =>
    queries.query('task', request.principal!.channel, {
      ...paramsFromQueryString('task', request.query),
      taskId: request.params.taskId,
    }),
  );
}

/**
 * Turns a parsed query string into query params by the query's schema: integers from digits, arrays
 * from repeated or comma-separated values (`messageType=task_started,task_completed`). Anything else
 * is passed as given, so the query's validator names the offending parameter.
 */
export function paramsFromQueryString(name: QueryName, query: unknown): Record<string, unknown> {
  const properties = QUERIES[name].request.properties as Record<string, { type?: string } | undefined>;
  const params: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (AUTH_PARAMS.has(key)) continue;
    const type = properties[key]?.type;
    if (type === 'array') {
      params[key] = (Array.isArray(raw) ? raw : [raw]).flatMap((value) => String(value).split(','));
    } else if (type === 'integer' && typeof raw === 'string' && /^-?\d{1,15}$/.test(raw)) {
      params[key] = Number(raw);
    } else {
      params[key] = raw;
    }
  }
  return params;
}
