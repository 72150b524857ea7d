/**
 * in-toto statements and SLSA provenance predicates checked before signing: valid v0.2 and v1
 * predicates pass, and each field made wrong in turn is refused (PREDICATE_INVALID or
 * STATEMENT_INVALID) with a message naming the field.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildStatement, parseStatementForSigning, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1, validatePredicate } from '../../src/bundle/intoto.js';
import { UsageError } from '../../src/errors.js';

// biome-ignore lint/suspicious/noExplicitAny: predicates are edited freely
type Json = Record<string, any>;

const V02 = (): Json => ({
  builder: { id: 'https://github.com/actions/runner' },
  buildType: 'https://github.com/Attestations/GitHubActionsWorkflow@v1',
  invocation: {
    configSource: { uri: 'git+https://github.com/o/r@refs/heads/main', digest: { sha1: 'ab' }, entryPoint: 'release.yml' },
    parameters: {},
    environment: {},
  },
  buildConfig: {},
  metadata: {
    buildInvocationId: 'x',
    buildStartedOn: '2025-01-01T00:00:00Z',
    buildFinishedOn: '2025-01-01T00:01:00.5+01:00',
    completeness: { parameters: true, environment: false, materials: false },
    reproducible: false,
  },
  materials: [{ uri: 'git+https://github.com/o/r', digest: { sha1: 'ab' } }],
});

const V1 = (): Json => ({
  buildDefinition: {
    buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
    externalParameters: { workflow: {} },
    internalParameters: {},
    resolvedDependencies: [{ uri: 'git+https://github.com/o/r', digest: { gitCommit: 'ab' } }, { content: 'eA==' }, { digest: { sha256: 'ab' }, name: 'n', mediaType: 'text/plain', annotations: {}, downloadLocation: 'https://x.test/a' }],
  },
  runDetails: {
    builder: { id: 'https://github.com/actions/runner', version: { runner: '2.0' }, builderDependencies: [{ uri: 'https://x.test/b' }] },
    metadata: { invocationId: 'i', startedOn: '2025-01-01T00:00:00Z', finishedOn: '2025-01-01T00:00:01Z' },
    byproducts: [{ uri: 'https://x.test/log' }],
  },
});

function refused(f: () => unknown, code: string, message: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

describe('SLSA provenance predicates', () => {
  it('valid v0.2 and v1 predicates pass, and so does any object of another type', () => {
    validatePredicate(SLSA_PROVENANCE_V02, V02());
    validatePredicate(SLSA_PROVENANCE_V1, V1());
    validatePredicate(SLSA_PROVENANCE_V02, { builder: { id: 'https://b' }, buildType: 'https://t' });
    validatePredicate(SLSA_PROVENANCE_V1, { buildDefinition: { buildType: 'https://t', externalParameters: {} }, runDetails: { builder: { id: 'https://b' } } });
    validatePredicate('https://example.com/anything/v1', { builder: 1 });
  });

  const v02: [string, (p: Json) => void, RegExp][] = [
    ['builder missing', (p) => delete p.builder, /builder is required/],
    ['builder not an object', (p) => { p.builder = 'x'; }, /builder must be an object/],
    ['builder.id missing', (p) => delete p.builder.id, /builder\.id is required/],
    ['builder.id not a string', (p) => { p.builder.id = 5; }, /builder\.id must be a string/],
    ['builder.id empty', (p) => { p.builder.id = ''; }, /builder\.id must not be empty/],
    ['builder.id not a URI', (p) => { p.builder.id = 'runner'; }, /builder\.id must be a URI/],
    ['buildType not a URI', (p) => { p.buildType = '1nvalid:x'; }, /buildType must be a URI/],
    ['configSource.uri not a URI', (p) => { p.invocation.configSource.uri = 'no scheme'; }, /invocation\.configSource\.uri must be a URI/],
    ['configSource.digest value empty', (p) => { p.invocation.configSource.digest.sha1 = ''; }, /configSource\.digest\.sha1 must be a non-empty string/],
    ['configSource.digest value a number', (p) => { p.invocation.configSource.digest.sha1 = 1; }, /configSource\.digest\.sha1 must be a non-empty string/],
    ['configSource.entryPoint a number', (p) => { p.invocation.configSource.entryPoint = 1; }, /entryPoint must be a string/],
    ['invocation.parameters an array', (p) => { p.invocation.parameters = 'x'; }, /invocation\.parameters must be an object/],
    ['invocation.environment a string', (p) => { p.invocation.environment = 'x'; }, /invocation\.environment must be an object/],
    ['buildConfig a number', (p) => { p.buildConfig = 1; }, /buildConfig must be an object/],
    ['metadata a string', (p) => { p.metadata = 'x'; }, /metadata must be an object/],
    ['buildStartedOn not RFC 3339', (p) => { p.metadata.buildStartedOn = '2025-01-01'; }, /buildStartedOn must be an RFC 3339 timestamp/],
    ['buildFinishedOn an impossible date', (p) => { p.metadata.buildFinishedOn = '2025-13-45T00:00:00Z'; }, /buildFinishedOn must be an RFC 3339 timestamp/],
    ['buildInvocationId a number', (p) => { p.metadata.buildInvocationId = 3; }, /buildInvocationId must be a string/],
    ['completeness.parameters a string', (p) => { p.metadata.completeness.parameters = 'yes'; }, /completeness\.parameters must be a boolean/],
    ['completeness.materials 0', (p) => { p.metadata.completeness.materials = 0; }, /completeness\.materials must be a boolean/],
    ['reproducible null is fine, a string is not', (p) => { p.metadata.reproducible = 'no'; }, /reproducible must be a boolean/],
    ['materials not an array', (p) => { p.materials = {}; }, /materials must be an array/],
    ['a material not an object', (p) => { p.materials = [1]; }, /materials\[0\] must be an object/],
    ['a material URI without scheme', (p) => { p.materials[0].uri = 'github.com/o/r'; }, /materials\[0\]\.uri must be a URI/],
    ['a material digest value empty', (p) => { p.materials[0].digest = { sha1: '' }; }, /materials\[0\]\.digest\.sha1/],
  ];
  for (const [what, change, message] of v02) {
    it(`v0.2: ${what}`, () => {
      const p = V02();
      change(p);
      refused(() => validatePredicate(SLSA_PROVENANCE_V02, p), 'PREDICATE_INVALID', message);
    });
  }

  it('v0.2: optional fields may be null or absent', () => {
    const p = V02();
    p.metadata.reproducible = null;
    p.metadata.buildInvocationId = null;
    p.invocation.configSource.uri = undefined;
    p.materials = null;
    validatePredicate(SLSA_PROVENANCE_V02, p);
  });

  const v1: [string, (p: Json) => void, RegExp][] = [
    ['buildDefinition missing', (p) => delete p.buildDefinition, /buildDefinition is required/],
    ['buildType not a URI', (p) => { p.buildDefinition.buildType = 'type'; }, /buildDefinition\.buildType must be a URI/],
    ['externalParameters missing', (p) => delete p.buildDefinition.externalParameters, /externalParameters is required/],
    ['internalParameters a string', (p) => { p.buildDefinition.internalParameters = 'x'; }, /internalParameters must be an object/],
    ['resolvedDependencies not an array', (p) => { p.buildDefinition.resolvedDependencies = 'x'; }, /resolvedDependencies must be an array/],
    ['a dependency with no uri, digest or content', (p) => { p.buildDefinition.resolvedDependencies = [{ name: 'x' }]; }, /resolvedDependencies\[0\] needs at least one of uri, digest and content/],
    ['a dependency that is not an object', (p) => { p.buildDefinition.resolvedDependencies = [null]; }, /resolvedDependencies\[0\] is required/],
    ['a dependency URI without scheme', (p) => { p.buildDefinition.resolvedDependencies[0].uri = 'x'; }, /resolvedDependencies\[0\]\.uri must be a URI/],
    ['a dependency digest value a number', (p) => { p.buildDefinition.resolvedDependencies[0].digest = { sha256: 1 }; }, /resolvedDependencies\[0\]\.digest\.sha256/],
    ['a dependency content a number', (p) => { p.buildDefinition.resolvedDependencies[1].content = 1; }, /resolvedDependencies\[1\]\.content must be a string/],
    ['a dependency name a number', (p) => { p.buildDefinition.resolvedDependencies[2].name = 1; }, /resolvedDependencies\[2\]\.name must be a string/],
    ['a dependency downloadLocation not a URI', (p) => { p.buildDefinition.resolvedDependencies[2].downloadLocation = 'x'; }, /downloadLocation must be a URI/],
    ['a dependency mediaType a number', (p) => { p.buildDefinition.resolvedDependencies[2].mediaType = 1; }, /mediaType must be a string/],
    ['a dependency annotations a string', (p) => { p.buildDefinition.resolvedDependencies[2].annotations = 'x'; }, /annotations must be an object/],
    ['runDetails missing', (p) => delete p.runDetails, /runDetails is required/],
    ['runDetails.builder missing', (p) => delete p.runDetails.builder, /runDetails\.builder is required/],
    ['builder.id not a URI', (p) => { p.runDetails.builder.id = 'x'; }, /runDetails\.builder\.id must be a URI/],
    ['builder.version a string', (p) => { p.runDetails.builder.version = 'x'; }, /runDetails\.builder\.version must be an object/],
    ['builder.version value a number', (p) => { p.runDetails.builder.version.runner = 2; }, /runDetails\.builder\.version\.runner must be a string/],
    ['builder.version value empty', (p) => { p.runDetails.builder.version.runner = ''; }, /runDetails\.builder\.version\.runner must not be empty/],
    ['a builder dependency without uri, digest or content', (p) => { p.runDetails.builder.builderDependencies = [{}]; }, /builderDependencies\[0\] needs at least one/],
    ['metadata.invocationId a number', (p) => { p.runDetails.metadata.invocationId = 1; }, /invocationId must be a string/],
    ['metadata.startedOn not RFC 3339', (p) => { p.runDetails.metadata.startedOn = 'yesterday'; }, /startedOn must be an RFC 3339 timestamp/],
    ['metadata.finishedOn not RFC 3339', (p) => { p.runDetails.metadata.finishedOn = '2025-01-01 00:00:00Z'; }, /finishedOn must be an RFC 3339 timestamp/],
    ['a byproduct without uri, digest or content', (p) => { p.runDetails.byproducts = [{ name: 'log' }]; }, /byproducts\[0\] needs at least one/],
  ];
  for (const [what, change, message] of v1) {
    it(`v1: ${what}`, () => {
      const p = V1();
      change(p);
      refused(() => validatePredicate(SLSA_PROVENANCE_V1, p), 'PREDICATE_INVALID', message);
    });
  }

  it('a resource with only a uri, only a digest or only content is enough', () => {
    for (const dep of [{ uri: 'https://x.test' }, { digest: { sha256: 'ab' } }, { content: 'eA==' }]) {
      const p = V1();
      p.buildDefinition.resolvedDependencies = [dep];
      validatePredicate(SLSA_PROVENANCE_V1, p);
    }
  });

  it('predicate type and predicate', () => {
    refused(() => validatePredicate('', {}), 'PREDICATE_INVALID', /non-empty string/);
    refused(() => validatePredicate(5 as unknown as string, {}), 'PREDICATE_INVALID', /non-empty string/);
    refused(() => validatePredicate('predicate', {}), 'PREDICATE_INVALID', /is not a URI/);
    refused(() => validatePredicate('https://example.com/p', null), 'PREDICATE_INVALID', /must be a JSON object/);
    refused(() => validatePredicate(SLSA_PROVENANCE_V02, {}), 'PREDICATE_INVALID', /builder is required/);
  });
});

describe('statements for signing', () => {
  const subject = [{ name: 'a.txt', digest: { sha256: 'ab'.repeat(32) } }];
  const st = (o: Json = {}) => JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject, predicateType: 'https://example.com/p', predicate: {}, ...o });

  it('a valid statement passes and is returned byte for byte', () => {
    const text = st();
    assert.equal(parseStatementForSigning(text).payload.toString(), text);
    parseStatementForSigning(st({ subject: [{ digest: { sha256: 'AB' } }], predicate: undefined }));
    assert.equal(buildStatement(subject, 'https://example.com/p', { a: 1 }).predicateType, 'https://example.com/p');
  });

  const bad: [string, string, RegExp][] = [
    ['a subject that is not an object', st({ subject: ['a'] }), /subject\[0\] must be an object/],
    ['a subject name that is a number', st({ subject: [{ name: 1, digest: { sha256: 'ab' } }] }), /subject\[0\]\.name must be a string/],
    ['a subject without digest', st({ subject: [{ name: 'a' }] }), /subject\[0\]\.digest must be a non-empty object/],
    ['a subject with an empty digest', st({ subject: [{ name: 'a', digest: {} }] }), /subject\[0\]\.digest must be a non-empty object/],
    ['a digest value that is a number', st({ subject: [{ digest: { sha256: 12 } }] }), /digest\.sha256 must be a hex string/],
    ['no predicate type', st({ predicateType: undefined }), /predicateType must be a string/],
    ['an invalid SLSA predicate', st({ predicateType: SLSA_PROVENANCE_V1, predicate: {} }), /statement's predicate: buildDefinition is required/],
    ['not UTF-8', '\u00ff', /not valid JSON|not a JSON object/],
  ];
  for (const [what, text, message] of bad) {
    it(`${what} is refused`, () => {
      const code = /predicate:/.test(message.source) ? 'PREDICATE_INVALID' : 'STATEMENT_INVALID';
      refused(() => parseStatementForSigning(what === 'not UTF-8' ? Buffer.from([0xff, 0xfe]) : text), code, message);
    });
  }
});
