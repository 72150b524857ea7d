/**
 * Strict readers for untrusted JSON: each checks one field's type and says which field is wrong.
 * A `Fail` callback turns the message into the caller's error class (bundle, trust, ...).
 */
import type { ErrorCode } from '../errors.js';
import { isDecimal, isRfc3339 } from './shapes.js';
import { JSON_LIMITS, JsonSyntaxError, parseStrictJson, type StrictJsonLimits } from './strict-json.js';

/** Refuses: `code`, when given, is a more precise stable code than the caller's default. */
export type Fail = (message: string, code?: ErrorCode) => never;

export type JsonObject = Record<string, unknown>;

/**
 * Parses untrusted JSON text (or UTF-8 bytes) with the strict reader: duplicate keys, nesting
 * deeper than 100, more than 100,000 values or more than 32 MiB are refused (codes
 * JSON_DUPLICATE_KEY, JSON_TOO_DEEP, JSON_TOO_MANY_VALUES, JSON_TOO_LARGE), bytes before they
 * are decoded; integers beyond 2^53 keep their exact digits (as decimal strings). Other syntax errors
 * are refused without a specific code.
 */
export function parseJson(text: string | Buffer, what: string, fail: Fail, limits: StrictJsonLimits = {}): unknown {
  const max = limits.maxBytes ?? JSON_LIMITS.maxBytes;
  if (text.length > max) return fail(`${what} is larger than ${max} bytes`, 'JSON_TOO_LARGE');
  try {
    return parseStrictJson(typeof text === 'string' ? text : text.toString('utf8'), limits);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return fail(`${what} is not valid JSON (${e.message})`, e.code === 'JSON_SYNTAX' ? undefined : e.code);
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, path: string, fail: Fail): JsonObject {
  if (!isObject(v)) fail(`${path} must be an object`);
  return v as JsonObject;
}

export function optObj(v: unknown, path: string, fail: Fail): JsonObject | undefined {
  return v === undefined || v === null ? undefined : obj(v, path, fail);
}

export function arr(v: unknown, path: string, fail: Fail): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(`${path} must be an array`);
  return v as unknown[];
}

export function str(v: unknown, path: string, fail: Fail): string {
  if (typeof v !== 'string' || v.length === 0) fail(`${path} is missing or not a non-empty string`);
  return v as string;
}

export function optStr(v: unknown, path: string, fail: Fail): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') fail(`${path} must be a string`);
  return v as string;
}

// One character class each, no nested repetition: a backtracking pattern overflows V8's regexp
// stack (RangeError) on a few megabytes of text.
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Standard (or URL-safe) base64 with correct padding; refuses anything else. */
export function b64(value: unknown, path: string, fail: Fail, { allowEmpty = false } = {}): Buffer {
  if (typeof value !== 'string') return fail(`${path} is missing or not a base64 string`);
  // Line breaks are tolerated (as protobuf JSON decoders do: base64 wrapped at 76 columns).
  const v = value.includes('\n') ? value.replace(/\r?\n/g, '') : value;
  if (v.length === 0 && !allowEmpty) fail(`${path} is empty`);
  // Fast path: canonical standard base64 round-trips exactly (native, no regex over long strings).
  const fast = Buffer.from(v, 'base64');
  if (fast.toString('base64') === v) return fast;
  const std = B64.test(v) && v.length % 4 === 0;
  if (!std && !(B64URL.test(v) && v.length % 4 !== 1)) fail(`${path} is not valid base64`);
  const buf = Buffer.from(v, std ? 'base64' : 'base64url');
  return buf;
}

export function optB64(v: unknown, path: string, fail: Fail): Buffer | undefined {
  return v === undefined || v === null || v === '' ? undefined : b64(v, path, fail);
}

/** A protobuf uint64 in JSON form: a decimal string or a number (exact: see parseJson), never negative. */
export function uint64(v: unknown, path: string, fail: Fail): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) fail(`${path} is not an integer`);
    v = String(v);
  }
  if (typeof v !== 'string' || !isDecimal(v)) return fail(`${path} is missing or not an integer`);
  if (v.length > 40) fail(`${path} is out of range`);
  const n = BigInt(v);
  if (n < 0n) fail(`${path} must not be negative (${v})`);
  if (n > 0xffffffffffffffffn) fail(`${path} is out of range`);
  return n;
}

/** RFC 3339 timestamp. */
export function time(v: unknown, path: string, fail: Fail): Date {
  if (typeof v !== 'string') return fail(`${path} is missing or not a timestamp`);
  const d = new Date(v);
  if (!isRfc3339(v) || Number.isNaN(d.getTime())) {
    fail(`${path} is not an RFC 3339 timestamp: ${JSON.stringify(v)}`);
  }
  return d;
}
