export { createOrmConfig, DB_CONNECT_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS, type OrmOptions } from './orm-config.js';
