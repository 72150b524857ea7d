/**
 * Shared helpers of the PyPI tests: the real PEP 740 assets (test/fixtures/pypi), their
 * identities, offline trust material, and the CLI as a process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Verifier } from '../../src/index.js';
import { embeddedTrustMaterial } from '../../src/trust/load.js';
import { type NodeRunResult, runNode, SOURCE_CLI } from '../helpers/cli.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const PYPI = join(ROOT, 'test', 'fixtures', 'pypi');

export const fixture = (name: string): string => join(PYPI, name);
export const readFixture = (name: string): Buffer => readFileSync(fixture(name));

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** The real assets: distribution, attestation, identity, issuer, instance. */
export interface Asset {
  dist: string;
  attestation: string;
  identity: string;
  issuer: string;
  staging: boolean;
  predicateType: string;
}

export const PUBLISH = 'https://docs.pypi.org/attestations/publish/v1';
export const SLSA = 'https://slsa.dev/provenance/v1';

export const ASSETS: Asset[] = [
  {
    dist: 'pypi_attestations-0.0.19.tar.gz',
    attestation: 'pypi_attestations-0.0.19.tar.gz.publish.attestation',
    identity: 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19',
    issuer: GITHUB_ISSUER,
    staging: false,
    predicateType: PUBLISH,
  },
  {
    dist: 'pypi_attestations-0.0.19.tar.gz',
    attestation: 'pypi_attestations-0.0.19.tar.gz.slsa.attestation',
    identity: 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19',
    issuer: GITHUB_ISSUER,
    staging: false,
    predicateType: SLSA,
  },
  {
    dist: 'pypi_attestation_models-0.0.4a2.tar.gz',
    attestation: 'pypi_attestation_models-0.0.4a2.tar.gz.attestation',
    identity: 'https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2',
    issuer: GITHUB_ISSUER,
    staging: false,
    predicateType: PUBLISH,
  },
  {
    dist: 'gitlab_oidc_project-0.0.3.tar.gz',
    attestation: 'gitlab_oidc_project-0.0.3.tar.gz.publish.attestation',
    identity: 'https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml@refs/heads/main',
    issuer: 'https://gitlab.com',
    staging: false,
    predicateType: PUBLISH,
  },
  {
    dist: 'rfc8785-0.1.2-py3-none-any.whl',
    attestation: 'rfc8785-0.1.2-py3-none-any.whl.publish.attestation',
    identity: 'william@yossarian.net',
    issuer: 'https://github.com/login/oauth',
    staging: true,
    predicateType: PUBLISH,
  },
  {
    dist: 'rfc8785-0.1.2-py3-none-any.whl',
    attestation: 'rfc8785-0.1.2-py3-none-any.whl.attestation',
    identity: 'william@yossarian.net',
    issuer: 'https://github.com/login/oauth',
    staging: true,
    predicateType: PUBLISH,
  },
];

/** Verifiers over the embedded public-good roots (offline, no TUF). */
export const production = (): Verifier => new Verifier(embeddedTrustMaterial('production'));
export const staging = (): Verifier => new Verifier(embeddedTrustMaterial('staging'));
export const verifierFor = (a: Asset): Verifier => (a.staging ? staging() : production());

const temporary: string[] = [];
process.on('exit', () => {
  for (const d of temporary) rmSync(d, { recursive: true, force: true });
});

/** A temporary directory, removed when the test process exits. */
export function tempDir(prefix = 'sigstore-ts-pypi-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(d);
  return d;
}

let trustCache: string | undefined;
function sharedTrustCache(): string {
  if (trustCache === undefined) trustCache = join(tempDir('sigstore-ts-trust-'), 'cache');
  return trustCache;
}

export type CliResult = NodeRunResult;

/** Runs `sigstore ARGS` as a process, offline (SIGSTORE_OFFLINE=1, a private, empty trust cache). */
export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return runNode([...SOURCE_CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', TMPDIR: process.env.TMPDIR, SIGSTORE_TRUST_CACHE: sharedTrustCache(), SIGSTORE_OFFLINE: '1', ...opts.env },
    timeoutMs: 60_000,
  });
}
