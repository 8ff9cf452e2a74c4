export * from './events.js';
export * from './tcp-proxy.js';
export * from './persistence-test-env.js';
