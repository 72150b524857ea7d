/**
 * The bounded memo the caches of pure results share (parsed keys, certificates and tokens,
 * signature checks): a Map kept in insertion order, whose oldest entry goes when it is full.
 * A key names content (bytes, fingerprints, key IDs), never an object, and names everything the
 * answer depends on: an answer that depends on trust material, a time or a policy is not cached
 * here at all (test/verify/trust-cache.test.ts checks that none crosses them).
 */

/**
 * `cache`'s value for `key`, else `compute()`'s, stored first (the oldest entry is dropped when
 * `max` are kept). A `compute` that throws stores nothing, so a refusal is always made afresh.
 */
export function remember<K, V>(cache: Map<K, V>, max: number, key: K, compute: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
  }
  return value;
}
