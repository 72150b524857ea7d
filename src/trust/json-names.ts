/**
 * The proto3 JSON mapping lets a message field be spelled two ways: its lowerCamelCase JSON name
 * (`signingConfig`, `baseUrl`) or its original proto name (`signing_config`, `base_url`), and a
 * parser must accept both. Trusted roots, signing configs and client trust configs are
 * protobuf messages without map fields, so every object key is a field name: this rewrites
 * the proto names to JSON names once, at the edge, and refuses an object that gives one field
 * under both names (which value would count is ambiguous).
 */
import { isObject } from '../lib/json.js';

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * A copy of `v` with every object key in its lowerCamelCase JSON spelling (values untouched).
 * `fail` is called when one object spells the same field both ways.
 *
 * @example
 * ```ts
 * protoJsonNames({ media_type: 'x', tlogs: [{ base_url: 'u' }] }, fail); // { mediaType: 'x', tlogs: [{ baseUrl: 'u' }] }
 * ```
 */
export function protoJsonNames(v: unknown, fail: (m: string) => never, path = ''): unknown {
  return rename(v, fail, () => path);
}

/** Sets an own data property (a key named __proto__ stays a plain property, as JSON.parse made it). */
function put(o: Record<string, unknown>, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

/** {@link protoJsonNames}, allocating only what changes; `at` builds the path only for a message. */
function rename(v: unknown, fail: (m: string) => never, at: () => string): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const y = rename(x, fail, () => `${at()}[${i}]`);
      if (y !== x) {
        out ??= v.slice();
        out[i] = y;
      }
    }
    return out ?? v;
  }
  if (!isObject(v)) return v;
  const keys = Object.keys(v);
  const child = (name: string) => () => {
    const p = at();
    return p ? `${p}.${name}` : name;
  };
  if (!keys.some((k) => k.includes('_'))) {
    // No proto names here: a copy only when something below changed.
    let out: Record<string, unknown> | undefined;
    for (const k of keys) {
      const x = v[k];
      const y = rename(x, fail, child(k));
      if (y !== x) {
        if (!out) {
          out = {};
          for (const j of keys) put(out, j, v[j]);
        }
        put(out, k, y);
      }
    }
    return out ?? v;
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const name = k.includes('_') ? camel(k) : k;
    if (Object.hasOwn(out, name)) fail(`${child(name)()} is given twice (as ${keys.find((x) => x !== k && camel(x) === name)} and as ${k})`);
    put(out, name, rename(v[k], fail, child(name)));
  }
  return out;
}
