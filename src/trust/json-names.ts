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
  if (Array.isArray(v)) {
    let changed = false;
    const out = v.map((x, i) => {
      const y = protoJsonNames(x, fail, `${path}[${i}]`);
      changed ||= y !== x;
      return y;
    });
    return changed ? out : v;
  }
  if (!isObject(v)) return v;
  const keys = Object.keys(v);
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const name = k.includes('_') ? camel(k) : k;
    const where = path ? `${path}.${name}` : name;
    if (Object.hasOwn(out, name)) fail(`${where} is given twice (as ${keys.find((x) => x !== k && camel(x) === name)} and as ${k})`);
    const value = protoJsonNames(v[k], fail, where);
    changed ||= name !== k || value !== v[k];
    // (defineProperty: a key named __proto__ stays a plain property, as JSON.parse made it)
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return changed ? out : v;
}
