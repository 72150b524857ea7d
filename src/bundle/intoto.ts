/**
 * in-toto attestations for signing: v1 statements over artifacts, the SLSA provenance predicates
 * (v0.2 and v1) checked field by field, and complete statements checked before they are signed.
 * Any other predicate type is accepted when the predicate is a JSON object.
 */
import { UsageError } from '../errors.js';
import { isObject, type JsonObject } from '../lib/json.js';
import { isRfc3339 } from '../lib/shapes.js';
import { parseStrictJson, STATEMENT_MAX_VALUES } from '../lib/strict-json.js';

/**
 * The in-toto Statement v1 type.
 *
 * @example
 * ```ts
 * const st = { _type: IN_TOTO_STATEMENT_V1, subject: subjects, predicateType: 'https://example.com/p/v1', predicate };
 * ```
 */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/**
 * The SLSA provenance v0.2 predicate type (validated field by field).
 *
 * @example
 * ```ts
 * buildStatement(subjects, SLSA_PROVENANCE_V02, predicate);
 * ```
 */
export const SLSA_PROVENANCE_V02 = 'https://slsa.dev/provenance/v0.2';
/**
 * The SLSA provenance v1 predicate type (validated field by field).
 *
 * @example
 * ```ts
 * buildStatement(subjects, SLSA_PROVENANCE_V1, predicate);
 * ```
 */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/**
 * One subject of a statement: a name and its digests (algorithm -> lowercase hex).
 *
 * @example
 * ```ts
 * const s: Subject = { name: 'pkg-1.0.tar.gz', digest: { sha256: 'ab'.repeat(32) } };
 * ```
 */
export interface Subject {
  name: string;
  digest: Record<string, string>;
}

/**
 * An in-toto v1 statement.
 *
 * @example
 * ```ts
 * const st: Statement = { _type: IN_TOTO_STATEMENT_V1, subject: [s], predicateType: 'https://example.com/p/v1', predicate: {} };
 * ```
 */
export interface Statement {
  _type: string;
  subject: Subject[];
  predicateType: string;
  predicate?: JsonObject;
}

class Checker {
  constructor(private readonly what: string) {}
  fail(path: string, m: string): never {
    throw new UsageError('PREDICATE_INVALID', `${this.what}: ${path} ${m}`);
  }
  obj(v: unknown, path: string, required = true): JsonObject | undefined {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required');
      return undefined;
    }
    if (!isObject(v)) this.fail(path, 'must be an object');
    return v as JsonObject;
  }
  str(v: unknown, path: string, required = true): string | undefined {
    if (v === undefined || v === null) {
      if (required) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') this.fail(path, 'must be a string');
    if (required && v === '') this.fail(path, 'must not be empty');
    return v as string;
  }
  uri(v: unknown, path: string, required = true): void {
    const s = this.str(v, path, required);
    if (s === undefined) return;
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s)) this.fail(path, `must be a URI (got ${JSON.stringify(s)})`);
  }
  bool(v: unknown, path: string): void {
    if (v !== undefined && v !== null && typeof v !== 'boolean') this.fail(path, 'must be a boolean');
  }
  time(v: unknown, path: string): void {
    const s = this.str(v, path, false);
    if (s === undefined) return;
    if (!isRfc3339(s) || Number.isNaN(Date.parse(s))) {
      this.fail(path, `must be an RFC 3339 timestamp (got ${JSON.stringify(s)})`);
    }
  }
  digestSet(v: unknown, path: string, required = true): void {
    const o = this.obj(v, path, required);
    if (!o) return;
    for (const [k, d] of Object.entries(o)) {
      if (typeof d !== 'string' || d === '') this.fail(`${path}.${k}`, 'must be a non-empty string');
    }
  }
  array(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, 'must be an array');
    return v as unknown[];
  }
  /** SLSA v1 ResourceDescriptor: at least one of uri, digest, content. */
  resource(v: unknown, path: string): void {
    const o = this.obj(v, path)!;
    this.uri(o.uri, `${path}.uri`, false);
    this.digestSet(o.digest, `${path}.digest`, false);
    this.str(o.content, `${path}.content`, false);
    this.str(o.name, `${path}.name`, false);
    this.uri(o.downloadLocation, `${path}.downloadLocation`, false);
    this.str(o.mediaType, `${path}.mediaType`, false);
    this.obj(o.annotations, `${path}.annotations`, false);
    if (o.uri === undefined && o.digest === undefined && o.content === undefined) this.fail(path, 'needs at least one of uri, digest and content');
  }
}

function slsaV02(p: JsonObject, c: Checker): void {
  const builder = c.obj(p.builder, 'builder')!;
  c.uri(builder.id, 'builder.id');
  c.uri(p.buildType, 'buildType');
  const inv = c.obj(p.invocation, 'invocation', false);
  if (inv) {
    const cs = c.obj(inv.configSource, 'invocation.configSource', false);
    if (cs) {
      c.uri(cs.uri, 'invocation.configSource.uri', false);
      c.digestSet(cs.digest, 'invocation.configSource.digest', false);
      c.str(cs.entryPoint, 'invocation.configSource.entryPoint', false);
    }
    c.obj(inv.parameters, 'invocation.parameters', false);
    c.obj(inv.environment, 'invocation.environment', false);
  }
  c.obj(p.buildConfig, 'buildConfig', false);
  const md = c.obj(p.metadata, 'metadata', false);
  if (md) {
    c.str(md.buildInvocationId, 'metadata.buildInvocationId', false);
    c.time(md.buildStartedOn, 'metadata.buildStartedOn');
    c.time(md.buildFinishedOn, 'metadata.buildFinishedOn');
    const comp = c.obj(md.completeness, 'metadata.completeness', false);
    if (comp) for (const k of ['parameters', 'environment', 'materials']) c.bool(comp[k], `metadata.completeness.${k}`);
    c.bool(md.reproducible, 'metadata.reproducible');
  }
  for (const [i, m] of c.array(p.materials, 'materials').entries()) {
    const mo = c.obj(m, `materials[${i}]`)!;
    c.uri(mo.uri, `materials[${i}].uri`, false);
    c.digestSet(mo.digest, `materials[${i}].digest`, false);
  }
}

function slsaV1(p: JsonObject, c: Checker): void {
  const bd = c.obj(p.buildDefinition, 'buildDefinition')!;
  c.uri(bd.buildType, 'buildDefinition.buildType');
  c.obj(bd.externalParameters, 'buildDefinition.externalParameters');
  c.obj(bd.internalParameters, 'buildDefinition.internalParameters', false);
  for (const [i, r] of c.array(bd.resolvedDependencies, 'buildDefinition.resolvedDependencies').entries()) {
    c.resource(r, `buildDefinition.resolvedDependencies[${i}]`);
  }
  const rd = c.obj(p.runDetails, 'runDetails')!;
  const builder = c.obj(rd.builder, 'runDetails.builder')!;
  c.uri(builder.id, 'runDetails.builder.id');
  const version = c.obj(builder.version, 'runDetails.builder.version', false);
  if (version) for (const [k, v] of Object.entries(version)) c.str(v, `runDetails.builder.version.${k}`);
  for (const [i, r] of c.array(builder.builderDependencies, 'runDetails.builder.builderDependencies').entries()) {
    c.resource(r, `runDetails.builder.builderDependencies[${i}]`);
  }
  const md = c.obj(rd.metadata, 'runDetails.metadata', false);
  if (md) {
    c.str(md.invocationId, 'runDetails.metadata.invocationId', false);
    c.time(md.startedOn, 'runDetails.metadata.startedOn');
    c.time(md.finishedOn, 'runDetails.metadata.finishedOn');
  }
  for (const [i, r] of c.array(rd.byproducts, 'runDetails.byproducts').entries()) c.resource(r, `runDetails.byproducts[${i}]`);
}

/**
 * Checks a predicate for its type: SLSA provenance v0.2 and v1 field by field, any other type
 * only as a JSON object. Throws {@link UsageError} `PREDICATE_INVALID` naming the field.
 *
 * @example
 * ```ts
 * validatePredicate(SLSA_PROVENANCE_V1, JSON.parse(readFileSync('provenance.json', 'utf8')));
 * ```
 */
export function validatePredicate(predicateType: string, predicate: unknown, what = 'the predicate'): JsonObject {
  const c = new Checker(what);
  if (typeof predicateType !== 'string' || predicateType === '') throw new UsageError('PREDICATE_INVALID', 'the predicate type must be a non-empty string');
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(predicateType)) throw new UsageError('PREDICATE_INVALID', `the predicate type ${JSON.stringify(predicateType)} is not a URI`);
  if (!isObject(predicate)) throw new UsageError('PREDICATE_INVALID', `${what} must be a JSON object`);
  if (predicateType === SLSA_PROVENANCE_V02) slsaV02(predicate, c);
  else if (predicateType === SLSA_PROVENANCE_V1) slsaV1(predicate, c);
  return predicate;
}

/**
 * Builds an in-toto v1 statement over `subjects` with a validated predicate.
 *
 * @example
 * ```ts
 * const st = buildStatement([{ name: 'a.txt', digest: { sha256: hex } }], 'https://example.com/p/v1', { ok: true });
 * ```
 */
export function buildStatement(subjects: Subject[], predicateType: string, predicate: unknown): Statement {
  if (subjects.length === 0) throw new UsageError('STATEMENT_INVALID', 'an in-toto statement needs at least one subject');
  return { _type: IN_TOTO_STATEMENT_V1, subject: subjects, predicateType, predicate: validatePredicate(predicateType, predicate) };
}

/**
 * Parses and checks a complete in-toto statement to be signed as given: `_type` v1, at least one
 * subject with a name and hex digests, a predicate type, and a predicate that validates for it.
 * Returns the statement and its exact bytes (what is signed).
 *
 * @example
 * ```ts
 * const { statement, payload } = parseStatementForSigning(readFileSync('statement.json'));
 * ```
 */
export function parseStatementForSigning(input: Buffer | string, what = 'the statement'): { statement: Statement; payload: Buffer } {
  const payload = Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8');
  const fail = (m: string): never => {
    throw new UsageError('STATEMENT_INVALID', `${what}: ${m}`);
  };
  let json: unknown;
  try {
    json = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(payload), { exactIntegers: false, maxValues: STATEMENT_MAX_VALUES });
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) return fail('not a JSON object');
  if (json._type !== IN_TOTO_STATEMENT_V1) fail(`_type must be ${JSON.stringify(IN_TOTO_STATEMENT_V1)} (got ${JSON.stringify(json._type)})`);
  if (!Array.isArray(json.subject) || json.subject.length === 0) fail('subject must be a non-empty array');
  for (const [i, s] of (json.subject as unknown[]).entries()) {
    if (!isObject(s)) fail(`subject[${i}] must be an object`);
    const so = s as JsonObject;
    if (so.name !== undefined && typeof so.name !== 'string') fail(`subject[${i}].name must be a string`);
    if (!isObject(so.digest) || Object.keys(so.digest).length === 0) fail(`subject[${i}].digest must be a non-empty object`);
    for (const [alg, d] of Object.entries(so.digest as JsonObject)) {
      if (typeof d !== 'string' || !/^[0-9a-fA-F]+$/.test(d)) fail(`subject[${i}].digest.${alg} must be a hex string`);
    }
  }
  if (typeof json.predicateType !== 'string') fail('predicateType must be a string');
  if (json.predicate !== undefined) validatePredicate(json.predicateType as string, json.predicate, `${what}'s predicate`);
  return { statement: json as unknown as Statement, payload };
}
