/**
 * The fields of slsa-github-generator's provenance (SLSA provenance v0.2, as the generic
 * generator writes it) that SLSA verification checks, read strictly from the verified in-toto
 * statement: the builder ID, the source (`invocation.configSource` and the first material), the
 * triggering event, and for a tag build the branch the tag was pushed from.
 */
import { SLSA_PROVENANCE_V02 } from '../bundle/intoto.js';
import { PolicyError } from '../errors.js';
import { isObject, type JsonObject } from '../lib/json.js';
import type { InTotoStatement } from '../verify/types.js';

/** What the provenance says about the build. */
export interface GeneratorProvenance {
  /** `predicate.builder.id`: the builder workflow and its ref, `https://github.com/...yml@refs/tags/vX.Y.Z`. */
  builderId: string;
  /** `predicate.invocation.configSource.uri`, e.g. `git+https://github.com/org/repo@refs/tags/v1.2.3`. */
  sourceUri: string;
  /** The source without its ref: `git+https://github.com/org/repo`. */
  source: string;
  /** The git ref the build ran on (`refs/heads/main`, `refs/tags/v1.2.3`). */
  ref: string;
  /** The commit (`configSource.digest.sha1`), when given. */
  commit: string | undefined;
  /** `environment.github_event_name`, when given. */
  eventName: string | undefined;
  /** For a tag build: the branch the tag was pushed from (`github_event_payload.base_ref`), if any. */
  tagBaseRef: string | undefined;
}

function fail(m: string): never {
  throw new PolicyError('SLSA_PROVENANCE_INVALID', `the provenance is not slsa-github-generator provenance: ${m}`);
}

function o(v: unknown, path: string): JsonObject {
  if (!isObject(v)) fail(`${path} must be an object`);
  return v;
}

function s(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') fail(`${path} must be a non-empty string`);
  return v;
}

/** Splits `git+https://github.com/org/repo@refs/...` at its first `@`: the source and the ref. */
function splitUri(uri: string, path: string): { source: string; ref: string } {
  const at = uri.indexOf('@');
  if (at < 0) fail(`${path} ${JSON.stringify(uri)} names no git ref`);
  const ref = uri.slice(at + 1);
  if (!/^refs\/(heads|tags)\/./.test(ref)) fail(`${path} ${JSON.stringify(uri)}: the ref is neither refs/heads/... nor refs/tags/...`);
  return { source: uri.slice(0, at), ref };
}

/** Reads the generator's provenance out of a verified statement (PolicyError SLSA_PROVENANCE_INVALID). */
export function readGeneratorProvenance(statement: InTotoStatement): GeneratorProvenance {
  if (statement.predicateType !== SLSA_PROVENANCE_V02) {
    fail(`the predicate type is ${JSON.stringify(statement.predicateType)}, not ${SLSA_PROVENANCE_V02}`);
  }
  const p = o(statement.predicate, 'predicate');
  const builderId = s(o(p.builder, 'predicate.builder').id, 'predicate.builder.id');
  const invocation = o(p.invocation, 'predicate.invocation');
  const cs = o(invocation.configSource, 'predicate.invocation.configSource');
  const sourceUri = s(cs.uri, 'predicate.invocation.configSource.uri');
  const { source, ref } = splitUri(sourceUri, 'predicate.invocation.configSource.uri');
  let commit: string | undefined;
  if (cs.digest !== undefined) {
    const d = o(cs.digest, 'predicate.invocation.configSource.digest');
    if (d.sha1 !== undefined) commit = s(d.sha1, 'predicate.invocation.configSource.digest.sha1');
  }
  // The first material is the source again; the generator writes the same URI (with its ref).
  if (!Array.isArray(p.materials) || p.materials.length === 0) fail('predicate.materials must be a non-empty array');
  const material = s(o(p.materials[0], 'predicate.materials[0]').uri, 'predicate.materials[0].uri');
  if (material !== sourceUri) fail(`predicate.materials[0].uri ${JSON.stringify(material)} is not the configSource ${JSON.stringify(sourceUri)}`);
  let eventName: string | undefined;
  let tagBaseRef: string | undefined;
  if (invocation.environment !== undefined && invocation.environment !== null) {
    const env = o(invocation.environment, 'predicate.invocation.environment');
    if (env.github_event_name !== undefined) eventName = s(env.github_event_name, 'predicate.invocation.environment.github_event_name');
    if (ref.startsWith('refs/tags/') && env.github_event_payload !== undefined) {
      const payload = o(env.github_event_payload, 'predicate.invocation.environment.github_event_payload');
      // base_ref is null when the tag was not pushed from a branch.
      if (typeof payload.base_ref === 'string' && payload.base_ref !== '') tagBaseRef = payload.base_ref;
      else if (payload.base_ref !== undefined && payload.base_ref !== null) fail('github_event_payload.base_ref must be a string or null');
    }
  }
  return { builderId, sourceUri, source, ref, commit, eventName, tagBaseRef };
}
