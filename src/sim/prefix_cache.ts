/**
 * The simulator's prefix cache, as vLLM's automatic prefix caching keeps it
 * (vllm/v1/core/kv_cache_utils.py `hash_block_tokens`: each full block of
 * `blockTokens` tokens is keyed by its tokens and the key of the block before
 * it, so a key stands for the whole prefix up to it). A prompt's cached
 * tokens are its leading full blocks already held; every full block is then
 * held, up to `capacityBlocks`, evicting the least recently used first. A
 * prompt's blocks are touched tail first, so under pressure a prefix loses
 * its tail before its head (vLLM frees a request's blocks in reverse order).
 *
 * Lookup happens when a request arrives, not when it is admitted: two equal
 * prompts sent at once both count the second as a hit.
 *
 * @module
 */

/** Full-block prefix matching with LRU eviction, counted in blocks. */
export class PrefixCache {
  readonly capacityBlocks: number;
  readonly blockTokens: number;
  /** Block keys in least-recently-used-first order (a Map keeps insertion order). */
  readonly #held = new Map<string, true>();

  /** @param capacityBlocks blocks held at most; @param blockTokens tokens per block */
  constructor(capacityBlocks: number, blockTokens: number) {
    this.capacityBlocks = capacityBlocks;
    this.blockTokens = blockTokens;
  }

  /** Blocks held now. */
  get size(): number {
    return this.#held.size;
  }

  /** The prompt's cached tokens (its leading full blocks held before it came); holds its blocks. */
  admit(ids: ArrayLike<number>): number {
    const b = this.blockTokens;
    const keys: string[] = [];
    // Two independent 32-bit FNV-1a-style chains; together they key the prefix.
    let h1 = 0x811c9dc5;
    let h2 = 0x9e3779b9;
    for (let end = b; end <= ids.length; end += b) {
      for (let i = end - b; i < end; i++) {
        const t = ids[i]! | 0;
        h1 = Math.imul(h1 ^ t, 0x01000193);
        h2 = Math.imul(h2 ^ (t + 0x7f4a7c15), 0x85ebca6b) ^ (h2 >>> 13);
      }
      keys.push(`${h1 >>> 0}:${h2 >>> 0}`);
    }
    let hit = 0;
    while (hit < keys.length && this.#held.has(keys[hit]!)) hit++;
    for (let k = keys.length - 1; k >= 0; k--) {
      const key = keys[k]!;
      this.#held.delete(key);
      this.#held.set(key, true);
    }
    while (this.#held.size > this.capacityBlocks) {
      this.#held.delete(this.#held.keys().next().value!);
    }
    return hit * b;
  }
}
