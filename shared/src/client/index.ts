export * from './relay-client.js';
export * from './client-options.js';
export * from './client-errors.js';
export * from './backoff.js';
