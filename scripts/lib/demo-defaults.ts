/**
 * The development channel and token that `npm start` (when no CHANNEL_TOKENS/JWT_SECRET is set),
 * docker compose (its `${CHANNEL_TOKENS:-demo=changeme}` fallback) and `npm run demo` agree on.
 */
export const DEMO_CHANNEL = 'demo';
export const DEMO_TOKEN = 'changeme';
export const DEMO_CHANNEL_TOKENS = `${DEMO_CHANNEL}=${DEMO_TOKEN}`;
