import { NatsError, StorageType, nanos, type JetStreamManager, type StreamInfo } from 'nats';

/** JetStream drops a repeated `Nats-Msg-Id` seen within this window (client retries after a timeout). */
export const STREAM_DUPLICATE_WINDOW_MS = 2 * 60_000;

/** JetStream's API error code for "stream not found". */
const STREAM_NOT_FOUND = 10059;

export interface EnsureStreamOptions {
  name: string;
  subjects: readonly string[];
  /** Messages older than this are discarded by the server; 0 keeps them until a limit is hit. */
  maxAgeHours: number;
  /** Copies kept by a NATS cluster (1 on a single server). */
  replicas?: number;
}

export function isStreamNotFound(error: unknown): boolean {
  return error instanceof NatsError && error.api_error?.err_code === STREAM_NOT_FOUND;
}

/**
 * Creates the stream (file storage, 2 min duplicate window) when it does not exist. An existing
 * stream keeps its configuration, except that subjects it lacks are added, so whichever service
 * starts first (gateway or persistence) leaves the same stream behind.
 */
export async function ensureStream(jsm: JetStreamManager, options: EnsureStreamOptions): Promise<StreamInfo> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(options.name);
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
    try {
      return await jsm.streams.add({
        name: options.name,
        subjects: [...options.subjects],
        storage: StorageType.File,
        duplicate_window: nanos(STREAM_DUPLICATE_WINDOW_MS),
        max_age: nanos(options.maxAgeHours * 3_600_000),
        num_replicas: options.replicas ?? 1,
      });
    } catch (addError) {
      // Another process created it between our info and add: fall through to the existing stream.
      info = await jsm.streams.info(options.name).catch(() => {
        throw addError;
      });
    }
  }
  const missing = options.subjects.filter((s) => !info.config.subjects?.includes(s));
  if (missing.length === 0) return info;
  return jsm.streams.update(options.name, { subjects: [...(info.config.subjects ?? []), ...missing] });
}
