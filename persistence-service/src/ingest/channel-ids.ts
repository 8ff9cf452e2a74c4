import type { EntityManager } from '@mikro-orm/postgresql';
import { asJson, queryRows } from './sql.js';

/** More distinct channels than this and the cache starts over (channels are few; this only bounds memory). */
const MAX_CACHED_CHANNELS = 10_000;

/**
 * Channel name → id, creating channels on first sight. Ids are cached for the process; call
 * `forget()` after a failed write, in case a cached channel was deleted since.
 */
export class ChannelIds {
  private readonly cache = new Map<string, number>();

  /**
   * Resolves names to ids, creating missing channels in statements of their own (autocommitted when
   * `em` is outside a transaction), so that concurrent batches all see a channel once it exists.
   */
  async resolve(em: EntityManager, names: Iterable<string>): Promise<Map<string, number>> {
    const wanted = [...new Set(names)];
    const missing = wanted.filter((n) => !this.cache.has(n)).sort();
    if (missing.length > 0) {
      if (this.cache.size + missing.length > MAX_CACHED_CHANNELS) this.cache.clear();
      const json = asJson(missing);
      await queryRows(
        em,
        `INSERT INTO channels (name) SELECT value FROM json_array_elements_text(?::json) ORDER BY 1
         ON CONFLICT (name) DO NOTHING`,
        [json],
      );
      const rows = await queryRows<{ id: number; name: string }>(
        em,
        'SELECT id, name FROM channels WHERE name IN (SELECT value FROM json_array_elements_text(?::json))',
        [json],
      );
      for (const row of rows) this.cache.set(row.name, row.id);
    }
    const ids = new Map<string, number>();
    for (const name of wanted) {
      const id = this.cache.get(name);
      if (id === undefined) throw new Error(`channel "${name}" could not be resolved`);
      ids.set(name, id);
    }
    return ids;
  }

  forget(): void {
    this.cache.clear();
  }
}
