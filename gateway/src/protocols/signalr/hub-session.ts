import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import { CLOSE_CODES, isRelayError, RelayError } from '@coorchat/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Delivery, RelayConnection } from '../../core/connection.js';
import type { AgentRegistration, Registration, RelayService } from '../../core/relay-service.js';
import type { GatewayMetrics } from '../../metrics/gateway-metrics.js';
import type { QueryClient } from '../../queries/query-client.js';
import { SocketWriter } from '../socket-writer.js';
import { CLIENT_EVENTS, hubDeliveryEncoder, messageError, type ClientEvent } from './hub-events.js';
import { hubMethod, type HubCall, type HubMethod } from './hub-methods.js';
import {
  closeRecord,
  completionErrorRecord,
  completionRecord,
  HANDSHAKE_OK_RECORD,
  handshakeErrorRecord,
  invocationRecord,
  parseHandshake,
  parseHubMessage,
  PING_RECORD,
  RecordReader,
  SUPPORTED_JSON_VERSIONS,
  type InvocationMessage,
} from './hub-protocol.js';
import { DEFAULT_HUB_URL_OPTIONS, type HubUrlOptions } from './hub-url-options.js';
import type { KeepAlive, KeepAliveTarget } from './keep-alive.js';

/**
 * Invocations of one connection run one at a time, in order (ASP.NET's default of one parallel
 * invocation per client): RegisterAgent sent without waiting is done before the SendMessage after
 * it. This many may wait behind a slow one (a publish being retried) before further ones are refused.
 */
const MAX_QUEUED_INVOCATIONS = 100;

export interface HubSessionDeps {
  relay: RelayService;
  queries: QueryClient;
  metrics: GatewayMetrics;
  keepAlive: KeepAlive;
  log: FastifyBaseLogger;
  /** Bound of a record split over several WebSocket messages (the frame size limit). */
  maxRecordChars: number;
}

/** Closes after which a client with automatic reconnect should not come back. */
function allowsReconnect(code: number): boolean {
  return code !== CLOSE_CODES.replaced && code !== CLOSE_CODES.policyViolation;
}

/** What a failed invocation's completion says: the relay's code first, so clients can tell errors apart. */
function completionError(error: RelayError): string {
  return `${error.code}: ${error.message}`;
}

/**
 * One SignalR hub connection (JSON protocol over a WebSocket): handshake, then hub messages mapped
 * to RelayService calls through the method table, results as completions, relay events as client
 * events. Malformed input closes the connection with a close message naming the problem.
 */
export class HubSession implements RelayConnection, KeepAliveTarget {
  readonly protocol = 'signalr';
  lastWriteTick: number;
  private state: 'handshake' | 'open' | 'closed' = 'handshake';
  private readonly reader: RecordReader;
  private readonly writer: SocketWriter;
  private readonly queue: InvocationMessage[] = [];
  private invoking = false;
  private readonly call: HubCall;
  /** The registration done for the hub URL's `agentId`/`role`. */
  private urlRegistration: Registration | undefined;

  constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    /** The upgraded TCP socket under `ws`, for pre-built delivery frames. */
    socket: Duplex,
    private readonly deps: HubSessionDeps,
    private readonly options: HubUrlOptions = DEFAULT_HUB_URL_OPTIONS,
  ) {
    this.writer = new SocketWriter(ws, socket);
    this.reader = new RecordReader(deps.maxRecordChars);
    this.lastWriteTick = deps.keepAlive.tick;
    this.call = {
      connectionId: id,
      relay: deps.relay,
      queries: deps.queries,
      messageFormat: options.messageFormat,
      registeredByUrl: (request) => this.registeredByUrl(request),
      emit: (event, argument) => this.emit(event, argument),
    };
  }

  get bufferedAmount(): number {
    return this.writer.bufferedAmount;
  }

  deliver(delivery: Delivery): void {
    if (this.state !== 'open') return;
    if (this.writer.writeFrame(delivery.encoded(hubDeliveryEncoder(this.options.messageFormat, delivery.body)))) this.lastWriteTick = this.deps.keepAlive.tick;
  }

  close(code: number, reason: string): void {
    if (this.state === 'open') this.write(closeRecord(reason, allowsReconnect(code)));
    this.end(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  ping(): void {
    if (this.state === 'open') this.write(PING_RECORD);
  }

  /** The socket is closed: drop what waits. */
  closed(): void {
    this.state = 'closed';
    this.queue.length = 0;
  }

  /** Handles one incoming WebSocket message: any number of records, the last possibly incomplete. */
  receive(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed') return;
    if (isBinary) {
      this.protocolError('binary messages are not supported: this hub speaks the json protocol (text)');
      return;
    }
    const records = this.reader.push(data.toString('utf8'));
    if (records === null) {
      this.protocolError('a hub message is larger than the gateway accepts', CLOSE_CODES.frameTooLarge);
      return;
    }
    for (const record of records) {
      if (this.state === 'handshake') this.handshake(record);
      else if (this.state === 'open') this.handle(record);
    }
  }

  private handshake(record: string): void {
    this.admit();
    const parsed = parseHandshake(record);
    let error: string | undefined;
    if (!parsed.ok) error = parsed.error;
    else if (parsed.value.protocol !== 'json') error = `The protocol '${parsed.value.protocol}' is not supported: this hub speaks 'json' (text) only.`;
    else if (!SUPPORTED_JSON_VERSIONS.includes(parsed.value.version)) error = `The server does not support version ${parsed.value.version} of the 'json' protocol.`;
    if (error !== undefined) {
      this.deps.metrics.frameIn('hub:handshake_refused');
      this.deps.metrics.error('invalid_frame');
      this.write(handshakeErrorRecord(error));
      this.end(CLOSE_CODES.policyViolation, 'handshake refused');
      return;
    }
    this.deps.metrics.frameIn('hub:handshake');
    this.write(HANDSHAKE_OK_RECORD);
    this.state = 'open';
    const { registration } = this.options;
    if (registration) {
      // First in the invocation queue: what the client sends right after the handshake waits for it.
      this.invoking = true;
      void this.registerFromUrl(registration);
    }
  }

  /** Registers as the hub URL asked; a failure closes the connection, naming it. Never throws. */
  private async registerFromUrl(request: AgentRegistration): Promise<void> {
    try {
      this.urlRegistration = await this.deps.relay.register(this.id, request);
      this.deps.metrics.frameIn('hub:url_registration');
    } catch (error) {
      const relayError = isRelayError(error) ? error : new RelayError('internal', 'internal error');
      if (relayError.code === 'internal') this.deps.log.error({ err: error, connectionId: this.id }, 'registration from the hub URL failed');
      this.deps.metrics.error(relayError.code);
      // Retryable failures (the bus unavailable) let automatic reconnect try again.
      const code = relayError.retryable ? CLOSE_CODES.internalError : CLOSE_CODES.policyViolation;
      if (this.state === 'open') this.close(code, `registration from the hub URL failed: ${completionError(relayError)}`);
    }
    await this.runQueue();
  }

  private registeredByUrl(request: AgentRegistration): Registration | undefined {
    const asked = this.options.registration;
    if (!this.urlRegistration || !asked) return undefined;
    return asked.agentId.toLowerCase() === request.agentId.toLowerCase() && asked.role === request.role ? this.urlRegistration : undefined;
  }

  private handle(record: string): void {
    const parsed = parseHubMessage(record);
    if (!parsed.ok) {
      this.protocolError(parsed.error);
      return;
    }
    const message = parsed.value;
    const refused = this.admit();
    switch (message.type) {
      case 1:
        if (refused) this.fail(message, hubMethod(message.target), refused);
        else if (message.streamIds?.length) this.fail(message, undefined, new RelayError('invalid_frame', 'streaming is not supported by this hub'));
        else this.enqueue(message);
        return;
      case 4:
      case 5:
        // Nothing streams here: a stream invocation (or the cancel of one) is answered as unsupported.
        this.deps.metrics.frameIn('hub:stream');
        this.fail(message, undefined, new RelayError('invalid_frame', 'streaming is not supported by this hub'));
        return;
      case 6:
        this.deps.metrics.frameIn('hub:ping');
        return;
      case 7:
        this.deps.metrics.frameIn('hub:close');
        this.end(CLOSE_CODES.normal, 'closed by the client');
        return;
      default:
        // Stream items and completions answer nothing we sent; acks/sequences belong to stateful
        // reconnect, never negotiated; newer types are ignored as the protocol asks.
        this.deps.metrics.frameIn('hub:ignored');
    }
  }

  /** Counts a record as a sign of life and spends a rate-limit token; the refusal, if any. */
  private admit(): RelayError | undefined {
    try {
      this.deps.relay.admitFrame(this.id);
      return undefined;
    } catch (error) {
      return isRelayError(error) ? error : new RelayError('internal', 'internal error');
    }
  }

  private enqueue(message: InvocationMessage): void {
    if (this.queue.length >= MAX_QUEUED_INVOCATIONS) {
      this.fail(message, hubMethod(message.target), new RelayError('rate_limited', 'too many invocations are waiting; await their completions'));
      return;
    }
    this.queue.push(message);
    if (!this.invoking) void this.runQueue();
  }

  private async runQueue(): Promise<void> {
    this.invoking = true;
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) await this.invoke(next);
    this.invoking = false;
  }

  /** Runs one invocation; never throws (failures become completions or MessageError events). */
  private async invoke(message: InvocationMessage): Promise<void> {
    const method = hubMethod(message.target);
    this.deps.metrics.frameIn(method ? `hub:${method.name}` : 'hub:unknown');
    try {
      if (!method) throw new RelayError('not_found', `unknown hub method '${message.target}'`);
      const count = message.arguments.length;
      if (count < method.minArgs || count > method.maxArgs) {
        const expected = method.minArgs === method.maxArgs ? `${method.minArgs}` : `${method.minArgs} to ${method.maxArgs}`;
        throw new RelayError('invalid_frame', `'${method.name}' takes ${expected} argument(s), not ${count}`);
      }
      const result = await method.invoke(this.call, message.arguments);
      if (message.invocationId !== undefined) this.write(completionRecord(message.invocationId, result), 'hub:completion');
    } catch (error) {
      this.fail(message, method, error);
    }
  }

  /**
   * Reports a failed invocation: in its completion when the client waits for one, else (a
   * non-blocking send) as a MessageError event; otherwise only counted, as ASP.NET would log it.
   */
  private fail(message: { invocationId?: string; arguments?: unknown[] }, method: HubMethod | undefined, error: unknown): void {
    const relayError = isRelayError(error) ? error : new RelayError('internal', 'internal error');
    if (relayError.code === 'internal') this.deps.log.error({ err: error, connectionId: this.id }, 'hub invocation failed');
    this.deps.metrics.error(relayError.code);
    if (message.invocationId !== undefined) this.write(completionErrorRecord(message.invocationId, completionError(relayError)), 'hub:completion');
    else if (method?.sendsMessage) this.emit(CLIENT_EVENTS.messageError, messageError(relayError, message.arguments?.at(-1)));
  }

  private emit(event: ClientEvent, argument: unknown): void {
    this.write(invocationRecord(event, [argument]), `hub:${event}`);
  }

  /** Closes the connection for a protocol violation, telling the client why (no reconnect). */
  private protocolError(error: string, code: number = CLOSE_CODES.policyViolation): void {
    this.deps.metrics.frameIn('hub:invalid');
    this.deps.metrics.error('invalid_frame');
    this.write(this.state === 'open' ? closeRecord(`Connection closed with an error: ${error}`, false) : handshakeErrorRecord(error));
    this.end(code, 'protocol error');
  }

  private end(code: number, reason: string): void {
    this.state = 'closed';
    this.queue.length = 0;
    this.ws.close(code, reason);
  }

  private write(record: string, metric?: string): void {
    if (!this.writer.sendText(record)) return;
    this.lastWriteTick = this.deps.keepAlive.tick;
    if (metric !== undefined) this.deps.metrics.framesOut(metric);
  }
}
