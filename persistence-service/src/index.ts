export * from './entities/index.js';
export * from './orm/index.js';
export { loadPersistenceConfig, type PersistenceConfig } from './config/persistence-config.js';
export { startPersistence, type RunningPersistence } from './persistence-service.js';
