/**
 * Sender id of the messages the relay itself publishes on the bus, e.g. the `error` (payload code
 * `task_unavailable`) the persistence service sends to an agent whose task claim lost. No agent may
 * register with this id.
 */
export const RELAY_SYSTEM_SENDER_ID = '0b00a808-62d4-4915-8b91-78f590062259';

/** `gatewayId` of bus events published by the persistence service rather than a gateway. */
export const PERSISTENCE_PUBLISHER_ID = 'persistence-service';
