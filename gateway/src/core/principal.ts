import { RELAY_SYSTEM_SENDER_ID, RelayError } from '@coorchat/shared';

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

/** Throws RelayError `forbidden` unless `principal` may register as `agentId` in `role`. */
export function assertMayRegister(principal: Principal, agentId: string, role: string): void {
  if (agentId.toLowerCase() === RELAY_SYSTEM_SENDER_ID) {
    throw new RelayError('forbidden', 'this agent id is reserved for the relay', { field: '/agentId' });
  }
  if (principal.agentId !== null && principal.agentId.toLowerCase() !== agentId.toLowerCase()) {
    throw new RelayError('forbidden', 'the token is bound to another agent id', { field: '/agentId' });
  }
  if (principal.role !== null && principal.role !== role) {
    throw new RelayError('forbidden', 'the token is bound to another role', { field: '/role' });
  }
}
