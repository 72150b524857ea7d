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
  return rename(v, fail, path ? [path] : []);
}

/** The dotted path (`a.b[2].c`) of the keys and indices on `path`, built only for a message. */
function pathText(path: (string | number)[]): string {
  let s = '';
  for (const p of path) s = typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p;
  return s;
}

/** Sets an own data property (a key named __proto__ stays a plain property, as JSON.parse made it). */
function put(o: Record<string, unknown>, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * {@link protoJsonNames}, allocating only what changes. `path` holds the keys and indices down to
 * `v` (pushed and popped around each step: nothing is allocated per key for a message that is
 * never written).
 */
function rename(v: unknown, fail: (m: string) => never, path: (string | number)[]): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      path.push(i);
      const y = rename(x, fail, path);
      path.pop();
      if (y !== x) {
        out ??= v.slice();
        out[i] = y;
      }
    }
    return out ?? v;
  }
  if (!isObject(v)) return v;
  const keys = Object.keys(v);
  if (!keys.some((k) => k.includes('_'))) {
    // No proto names here: a copy only when something below changed.
    let out: Record<string, unknown> | undefined;
    for (const k of keys) {
      const x = v[k];
      path.push(k);
      const y = rename(x, fail, path);
      path.pop();
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
    path.push(name);
    if (Object.hasOwn(out, name)) fail(`${pathText(path)} is given twice (as ${keys.find((x) => x !== k && camel(x) === name)} and as ${k})`);
    put(out, name, rename(v[k], fail, path));
    path.pop();
  }
  return out;
}
