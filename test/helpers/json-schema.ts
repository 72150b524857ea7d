/**
 * A small JSON Schema validator for the subset schemas/*.schema.json use (no dependency):
 * `$ref` to `#/$defs/...`, `oneOf`, `type` (one or several), `const`, `enum`, `pattern`,
 * `required`, `properties`, `additionalProperties` (false or a schema), `items`, and `{}`.
 * Any other keyword is an error, so a schema cannot silently use what this does not check.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_VERSION } from '../../src/cli/json-output.js';

type Schema = Record<string, unknown>;

const KNOWN = new Set(['$schema', '$id', 'title', 'description', '$defs', '$ref', 'oneOf', 'type', 'const', 'enum', 'pattern', 'required', 'properties', 'additionalProperties', 'items']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The errors of `value` against `schema` (empty when it is valid); `root` holds the `$defs`. */
export function validate(value: unknown, schema: Schema, root: Schema = schema, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) return [`${path}: the schema uses '${k}', which this validator does not implement`];
  if (typeof schema.$ref === 'string') {
    const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
    const target = m ? (root.$defs as Record<string, Schema> | undefined)?.[m[1]!] : undefined;
    if (!target) return [`${path}: unresolvable $ref ${schema.$ref}`];
    return validate(value, target, root, path);
  }
  if (Array.isArray(schema.oneOf)) {
    const results = (schema.oneOf as Schema[]).map((s) => validate(value, s, root, path));
    const ok = results.filter((r) => r.length === 0).length;
    if (ok === 1) return [];
    if (ok > 1) return [`${path}: matches ${ok} oneOf alternatives`];
    return [`${path}: matches no oneOf alternative (${results.map((r) => r[0]).join(' | ')})`];
  }
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: expected ${types.join('|')}, got ${t}`];
  }
  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) errors.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
  if (typeof schema.pattern === 'string' && typeof value === 'string' && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  if (typeOf(value) === 'object') {
    const o = value as Record<string, unknown>;
    for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in o)) errors.push(`${path}: missing required '${r}'`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, v] of Object.entries(o)) {
      if (Object.hasOwn(props, k)) errors.push(...validate(v, props[k]!, root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property '${k}'`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(v, schema.additionalProperties as Schema, root, `${path}.${k}`));
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    for (const [i, v] of value.entries()) errors.push(...validate(v, schema.items as Schema, root, `${path}[${i}]`));
  }
  return errors;
}

// biome-ignore lint/suspicious/noExplicitAny: tests reach into the JSON output freely
export type Json = Record<string, any>;

/** The output schema of the CLI's --json (schemas/output.v1.schema.json). */
export const OUTPUT_SCHEMA = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'output.v1.schema.json'), 'utf8')) as Schema;

/** --json output: JSON Lines ending in a newline, each object checked against the output schema. */
export function schemaLines(stdout: string): Json[] {
  assert.ok(stdout.endsWith('\n'), 'JSON Lines end with a newline');
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((l) => {
      const o = JSON.parse(l) as Json;
      assert.deepEqual(validate(o, OUTPUT_SCHEMA), [], l.slice(0, 300));
      assert.equal(o.schemaVersion, SCHEMA_VERSION);
      return o;
    });
}
