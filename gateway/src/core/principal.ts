/** Who opened a connection, as established by authentication before the upgrade. */
export interface Principal {
  /** The only channel this connection can see. */
  channel: string;
  /** When the token names a role, registration must use it. */
  role: string | null;
  /** When the token names an agent, registration must use it. */
  agentId: string | null;
  method: 'shared-token' | 'jwt';
}
