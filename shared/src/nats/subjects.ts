/**
 * NATS subject builders. Every service derives subjects from one prefix so that tests (and
 * several installations on one NATS) stay apart by choosing different prefixes and stream names.
 */
export interface Subjects {
  readonly prefix: string;
  /** Subjects the JetStream stream captures. */
  readonly streamSubjects: readonly string[];
  message(channel: string): string;
  readonly allMessages: string;
  presence(channel: string, agentId: string): string;
  readonly allPresence: string;
  /** Events that can never be stored, with the reason (persistence service). */
  deadLetter(channel: string): string;
  /** Every dead-letter subject (captured by the dead-letter stream). */
  readonly allDeadLetters: string;
  /** Request/reply queries answered by the persistence service. */
  query(name: string): string;
  /** Request/reply scatter-gather to every gateway. */
  gateway(name: string): string;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

export function createSubjects(prefix: string): Subjects {
  if (!prefix.split('.').every((t) => TOKEN.test(t))) {
    throw new Error(`invalid NATS subject prefix "${prefix}"`);
  }
  const token = (value: string, what: string): string => {
    if (!TOKEN.test(value)) throw new Error(`invalid ${what} for a NATS subject: "${value}"`);
    return value;
  };
  return {
    prefix,
    streamSubjects: [`${prefix}.msg.>`, `${prefix}.presence.>`],
    message: (channel) => `${prefix}.msg.${token(channel, 'channel')}`,
    allMessages: `${prefix}.msg.>`,
    presence: (channel, agentId) =>
      `${prefix}.presence.${token(channel, 'channel')}.${token(agentId, 'agent id')}`,
    allPresence: `${prefix}.presence.>`,
    deadLetter: (channel) => `${prefix}.dlq.${token(channel, 'channel')}`,
    allDeadLetters: `${prefix}.dlq.>`,
    query: (name) => `${prefix}.query.${token(name, 'query name')}`,
    gateway: (name) => `${prefix}.gateway.${token(name, 'gateway request')}`,
  };
}
