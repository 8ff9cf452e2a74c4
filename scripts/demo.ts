/**
 * `npm run demo`: three simulated agents on a running relay (`npm start` or `docker compose up`).
 * An architect assigns a task to the developer, who works it (started → progress → completed); the
 * architect then asks every tester to verify it; the tester works that one; the architect queries
 * statuses. Every frame that flows is printed; at the end the rows the persistence service wrote
 * are counted in PostgreSQL (or a psql command is printed when the database is not reachable).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PROTOCOL_VERSION, PersistenceEnv, type MessageFrame, type OutboundMessage } from '@coorchat/shared';
import { RelayClient } from '@coorchat/shared/client';
import { DEMO_CHANNEL, DEMO_TOKEN } from './lib/demo-defaults.js';
import { isReachable } from '@coorchat/shared/testing';
import { firstHostPort } from './lib/net.js';

const DEFAULT_URL = 'ws://127.0.0.1:3000/ws';
const DEFAULT_DATABASE_URL = PersistenceEnv.properties.DATABASE_URL.default as string;
const STEP_TIMEOUT_MS = 15_000;
const ROWS_TIMEOUT_MS = 20_000;

const HELP = `usage: npm run demo [-- options]

Connects an architect, a developer and a tester to a running CoorChat Relay and lets them work two
tasks, printing every message that flows; then counts the rows the persistence service stored.

options:
  --url <ws-url>          gateway WebSocket endpoint (default ${DEFAULT_URL})
  --channel <name>        channel to join (default ${DEMO_CHANNEL})
  --token <token>         channel token or JWT (default ${DEMO_TOKEN}: what \`npm start\` and docker compose accept)
  --database-url <url>    where to count the stored rows (default: $DATABASE_URL, or ${DEFAULT_DATABASE_URL}
                          when --url is not given; skipped, with a psql hint, when unreachable)
  --pace-ms <ms>          pause between the steps of a task, to watch it (default 150)
  -h, --help              show this help`;

interface DemoOptions {
  url: string;
  channel: string;
  token: string;
  databaseUrl: string | undefined;
  paceMs: number;
}

function parseOptions(): DemoOptions | 'help' {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      channel: { type: 'string' },
      token: { type: 'string' },
      'database-url': { type: 'string' },
      'pace-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const paceMs = Number(values['pace-ms'] ?? 150);
  if (!Number.isInteger(paceMs) || paceMs < 0) throw new Error('--pace-ms takes a non-negative integer');
  return {
    url: values.url ?? DEFAULT_URL,
    channel: values.channel ?? DEMO_CHANNEL,
    token: values.token ?? DEMO_TOKEN,
    databaseUrl: values['database-url'] ?? (process.env.DATABASE_URL || (values.url ? undefined : DEFAULT_DATABASE_URL)),
    paceMs,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Agent {
  name: string;
  role: string;
  id: string;
  client: RelayClient;
}

/** Resolves with the first delivered message that `match` accepts, or rejects after a timeout. */
function nextMessage(agent: Agent, what: string, match: (frame: MessageFrame) => boolean): Promise<MessageFrame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      agent.client.off('message', listener);
      reject(new Error(`${agent.name} did not receive ${what} within ${STEP_TIMEOUT_MS} ms`));
    }, STEP_TIMEOUT_MS);
    const listener = (frame: MessageFrame) => {
      if (!match(frame)) return;
      clearTimeout(timer);
      agent.client.off('message', listener);
      resolve(frame);
    };
    agent.client.on('message', listener);
  });
}

async function main(): Promise<number> {
  const options = parseOptions();
  if (options === 'help') {
    console.log(HELP);
    return 0;
  }
  const agents: Agent[] = [];
  const names = new Map<string, string>();
  const sentIds: string[] = [];

  const send = async (from: Agent, message: Omit<OutboundMessage, 'protocolVersion'>, to: string, recipientRole?: string) => {
    console.log(`  ${from.name.padEnd(9)} → ${to.padEnd(9)} ${message.messageType.padEnd(15)}${describePayload(message.payload)}`.trimEnd());
    // Resolves once the gateway has the message on the JetStream stream (its PubAck).
    const ack = await from.client.send({ protocolVersion: PROTOCOL_VERSION, ...message }, recipientRole ? { recipientRole } : {});
    sentIds.push(ack.id);
  };

  const join = async (name: string, role: string, capabilities: string[]): Promise<Agent> => {
    const client = await RelayClient.connect(options.url, { token: options.token, channel: options.channel, reconnect: false });
    const id = randomUUID();
    names.set(id, name);
    const agent = { name, role, id, client };
    client.on('message', (frame) => {
      const sender = names.get(frame.message.senderId) ?? frame.message.senderId.slice(0, 8);
      console.log(`  ${name.padEnd(9)} ← ${sender.padEnd(9)} ${frame.message.messageType.padEnd(15)} delivered from stream seq ${frame.seq}`);
    });
    client.on('error', (error) => console.error(`  ${name}: ${error.message}`));
    const registered = await client.register({ agentId: id, role, platform: 'demo', environment: 'local', capabilities });
    console.log(`  ${name} joined channel ${registered.channel} as ${role} (agent ${id.slice(0, 8)}, gateway ${registered.gatewayId})`);
    agents.push(agent);
    return agent;
  };

  /** A worker answers a task addressed to it: started → progress → completed. */
  const work = (worker: Agent, result: string) => {
    worker.client.on('message', (frame) => {
      if (frame.message.messageType !== 'task_assigned') return;
      const taskId = frame.message.taskId!;
      void (async () => {
        await pause(options.paceMs);
        await send(worker, { messageType: 'task_started', taskId, payload: { taskId } }, 'everyone');
        for (const percentComplete of [40, 80]) {
          await pause(options.paceMs);
          await send(worker, { messageType: 'task_progress', taskId, payload: { taskId, percentComplete, status: `${percentComplete}% done` } }, 'everyone');
        }
        await pause(options.paceMs);
        await send(worker, { messageType: 'task_completed', taskId, payload: { taskId, result } }, 'everyone');
      })().catch((error: unknown) => console.error(`  ${worker.name} failed: ${(error as Error).message}`));
    });
    worker.client.on('message', (frame) => {
      if (frame.message.messageType !== 'status_query') return;
      void send(worker, {
        messageType: 'status_response',
        recipientId: frame.message.senderId,
        correlationId: frame.message.id,
        payload: { status: 'idle', tasksCompleted: 1 },
      }, names.get(frame.message.senderId) ?? 'sender').catch((error: unknown) => console.error(`  ${worker.name}: ${(error as Error).message}`));
    });
  };

  console.log(`CoorChat Relay demo on ${options.url}, channel ${options.channel}\n`);
  try {
    console.log('1. Agents join');
    const architect = await join('architect', 'architect', ['planning']);
    const developer = await join('developer', 'developer', ['typescript']);
    const tester = await join('tester', 'tester', ['vitest']);
    work(developer, 'login form implemented');
    work(tester, 'all checks pass');
    const listed = await architect.client.listAgents();
    console.log(`  the gateway lists ${listed.length} agents in the channel: ${listed.map((a) => a.role).join(', ')}\n`);

    console.log('2. The architect assigns a task to the developer');
    const buildTask = randomUUID();
    const built = nextMessage(architect, 'the build task completed', (f) => f.message.messageType === 'task_completed' && f.message.taskId === buildTask);
    await send(architect, {
      messageType: 'task_assigned',
      recipientId: developer.id,
      taskId: buildTask,
      payload: { taskId: buildTask, description: 'Implement the login form', assignedAgents: [developer.id] },
    }, 'developer');
    await built;

    console.log('\n3. The architect asks every tester to verify it');
    const verifyTask = randomUUID();
    const verified = nextMessage(architect, 'the verification task completed', (f) => f.message.messageType === 'task_completed' && f.message.taskId === verifyTask);
    await send(architect, {
      messageType: 'task_assigned',
      taskId: verifyTask,
      payload: { taskId: verifyTask, description: 'Verify the login form', dependencies: [buildTask] },
    }, 'testers', 'tester');
    await verified;

    console.log('\n4. Status queries');
    const answered = nextMessage(architect, 'a status_response', (f) => f.message.messageType === 'status_response');
    await send(architect, { messageType: 'status_query', recipientId: developer.id, payload: {} }, 'developer');
    const response = await answered;
    console.log(`  developer reports ${JSON.stringify(response.message.payload)}`);
    const status = await architect.client.agentStatus(tester.id);
    console.log(`  the gateway says the tester is connected to ${status?.gatewayId ?? 'nowhere'} since ${status?.connectedAt ?? '-'}`);

    console.log('\n5. Agents leave');
  } finally {
    await Promise.all(agents.map((a) => a.client.close()));
  }
  console.log(`  ${agents.length} agents disconnected, ${sentIds.length} messages sent, each acknowledged once stored on the stream\n`);

  return reportRows(options, sentIds);
}

function describePayload(payload: Record<string, unknown>): string {
  const text = payload.description ?? payload.status ?? payload.result;
  return typeof text === 'string' ? ` "${text}"` : '';
}

/** Waits until the persistence service has stored every message sent, then prints what is in PostgreSQL. */
async function reportRows(options: DemoOptions, sentIds: string[]): Promise<number> {
  const psqlHint = `psql "<DATABASE_URL>" -c "select message_type, count(*) from messages group by 1 order by 1"
  (docker compose: docker compose exec postgres psql -U coorchat -d coorchat -c "select message_type, count(*) from messages group by 1")`;
  const { host, port } = options.databaseUrl ? firstHostPort(options.databaseUrl, 5432) : { host: '', port: 0 };
  if (!options.databaseUrl || !(await isReachable(host, port))) {
    console.log(`6. Stored rows: the database is not reachable from here; look with\n  ${psqlHint}`);
    return 0;
  }
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + ROWS_TIMEOUT_MS;
    let stored = 0;
    for (;;) {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE id = ANY($1::uuid[])', [sentIds]);
      stored = Number(rows[0]!.n);
      if (stored === sentIds.length || Date.now() > deadline) break;
      await pause(200);
    }
    console.log(`6. Stored rows in ${new URL(options.databaseUrl).pathname.slice(1)}: ${stored} of the ${sentIds.length} messages`);
    const tasks = await client.query<{ task_id: string; status: string; percent_complete: number | null }>(
      `SELECT t.task_id, t.status, t.percent_complete FROM tasks t JOIN messages m ON m.task_id = t.task_id
        WHERE m.id = ANY($1::uuid[]) GROUP BY 1, 2, 3`,
      [sentIds],
    );
    for (const task of tasks.rows) console.log(`  task ${task.task_id.slice(0, 8)}: ${task.status} (${task.percent_complete ?? 0}%)`);
    console.log(`  look yourself: ${psqlHint.replace('<DATABASE_URL>', options.databaseUrl.replace(/:[^:@/]+@/, ':***@'))}`);
    if (stored !== sentIds.length) {
      console.error(`only ${stored} of ${sentIds.length} messages reached PostgreSQL within ${ROWS_TIMEOUT_MS} ms: is the persistence service running?`);
      return 1;
    }
    return 0;
  } finally {
    await client.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
