import { EntitySchema } from '@mikro-orm/core';

/** A channel: the unit of isolation of the relay. Created on the first event that names it. */
export interface Channel {
  id: number;
  name: string;
  /** Days rows of this channel are kept; null means the retention service's global default. */
  retentionDays: number | null;
  createdAt: Date;
}

export const ChannelEntity = new EntitySchema<Channel>({
  name: 'Channel',
  tableName: 'channels',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    name: { type: 'text', unique: 'channels_name_unique' },
    retentionDays: { type: 'integer', nullable: true },
    createdAt: { type: 'datetime', length: 3, defaultRaw: 'now()' },
  },
  checks: [{ name: 'channels_retention_days_check', expression: 'retention_days > 0' }],
});
