import { Migration } from '@mikro-orm/migrations';

/**
 * Initial schema: channels, messages (audit trail), agents + agent_sessions (agent history), tasks (state
 * folded from task_* messages) and retention_runs (written by the retention service). Generated from the
 * entities by `npm run migrate:create -- initial` and reviewed: never edit once applied, add a new one.
 */
export class Migration20261204200849_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "channels" ("id" serial primary key, "name" text not null, "retention_days" int null, "created_at" timestamptz(3) not null default now(), constraint channels_retention_days_check check (retention_days > 0));`);
    this.addSql(`alter table "channels" add constraint "channels_name_unique" unique ("name");`);

    this.addSql(`create table "agent_sessions" ("id" bigserial primary key, "channel_id" int not null, "agent_id" uuid not null, "gateway_id" text not null, "connection_id" text not null, "connected_at" timestamptz(3) not null, "disconnected_at" timestamptz(3) null, "disconnect_reason" text null);`);
    this.addSql(`create index "agent_sessions_channel_id_agent_id_connected_at_index" on "agent_sessions" ("channel_id", "agent_id", "connected_at" desc);`);
    this.addSql(`create index "agent_sessions_disconnected_at_index" on "agent_sessions" ("disconnected_at") where "disconnected_at" is not null;`);
    this.addSql(`alter table "agent_sessions" add constraint "agent_sessions_gateway_id_connection_id_unique" unique ("gateway_id", "connection_id");`);

    this.addSql(`create table "agents" ("id" bigserial primary key, "channel_id" int not null, "agent_id" uuid not null, "role" varchar(50) not null, "platform" text not null, "environment" text not null, "capabilities" jsonb not null, "status" text check ("status" in ('connected', 'disconnected')) not null, "current_task_id" uuid null, "registered_at" timestamptz(3) not null, "last_seen_at" timestamptz(3) not null);`);
    this.addSql(`create index "agents_channel_id_status_index" on "agents" ("channel_id", "status");`);
    this.addSql(`create index "agents_role_index" on "agents" ("role");`);
    this.addSql(`alter table "agents" add constraint "agents_channel_id_agent_id_unique" unique ("channel_id", "agent_id");`);

    this.addSql(`create table "messages" ("id" uuid not null, "channel_id" int not null, "stream_seq" bigint not null, "protocol_version" text not null, "message_type" text not null, "sender_id" uuid not null, "recipient_id" uuid null, "recipient_role" text null, "task_id" uuid null, "priority" smallint not null, "timestamp" timestamptz(3) not null, "received_at" timestamptz(3) not null, "correlation_id" uuid null, "payload" jsonb not null, constraint "messages_pkey" primary key ("id"));`);
    this.addSql(`create index "messages_channel_id_timestamp_id_index" on "messages" ("channel_id", "timestamp" desc, "id" desc);`);
    this.addSql(`create index "messages_timestamp_index" on "messages" ("timestamp");`);
    this.addSql(`create index "messages_task_id_index" on "messages" ("task_id") where "task_id" is not null;`);

    this.addSql(`create table "retention_runs" ("id" bigserial primary key, "started_at" timestamptz not null, "finished_at" timestamptz null, "outcome" text check ("outcome" in ('running', 'succeeded', 'failed', 'interrupted')) not null, "dry_run" boolean not null default false, "runner" text not null, "cutoff_default" timestamptz null, "rows_deleted" jsonb not null default '{}', "error" text null);`);
    this.addSql(`create index "retention_runs_outcome_started_at_index" on "retention_runs" ("outcome", "started_at" desc);`);

    this.addSql(`create table "tasks" ("id" bigserial primary key, "channel_id" int not null, "task_id" uuid not null, "status" text check ("status" in ('available', 'assigned', 'started', 'in_progress', 'blocked', 'completed', 'failed')) not null, "description" text null, "assigned_agents" uuid[] not null default '{}', "dependencies" uuid[] not null default '{}', "github_issue_url" text null, "github_pr_url" text null, "percent_complete" smallint null, "failure_reason" text null, "claimed_by" uuid null, "claimed_at" timestamptz(3) null, "claim_seq" bigint null, "assigned_at" timestamptz(3) null, "assigned_seq" bigint null, "started_at" timestamptz(3) null, "completed_at" timestamptz(3) null, "last_seq" bigint not null, "created_at" timestamptz(3) not null default now(), "updated_at" timestamptz(3) not null default now());`);
    this.addSql(`create index "tasks_status_index" on "tasks" ("status");`);
    this.addSql(`create index "tasks_channel_id_status_index" on "tasks" ("channel_id", "status");`);
    this.addSql(`create index "tasks_assigned_agents_index" on "tasks" using gin ("assigned_agents");`);
    this.addSql(`alter table "tasks" add constraint "tasks_channel_id_task_id_unique" unique ("channel_id", "task_id");`);

    this.addSql(`alter table "agent_sessions" add constraint "agent_sessions_channel_id_foreign" foreign key ("channel_id") references "channels" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "agents" add constraint "agents_channel_id_foreign" foreign key ("channel_id") references "channels" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "messages" add constraint "messages_channel_id_foreign" foreign key ("channel_id") references "channels" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "tasks" add constraint "tasks_channel_id_foreign" foreign key ("channel_id") references "channels" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "agent_sessions" drop constraint "agent_sessions_channel_id_foreign";`);

    this.addSql(`alter table "agents" drop constraint "agents_channel_id_foreign";`);

    this.addSql(`alter table "messages" drop constraint "messages_channel_id_foreign";`);

    this.addSql(`alter table "tasks" drop constraint "tasks_channel_id_foreign";`);

    this.addSql(`drop table if exists "channels" cascade;`);

    this.addSql(`drop table if exists "agent_sessions" cascade;`);

    this.addSql(`drop table if exists "agents" cascade;`);

    this.addSql(`drop table if exists "messages" cascade;`);

    this.addSql(`drop table if exists "retention_runs" cascade;`);

    this.addSql(`drop table if exists "tasks" cascade;`);
  }

}
