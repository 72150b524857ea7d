/**
 * Loads the sigstore-conformance bundle-verify cases from test/fixtures/conformance.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const CONFORMANCE_DIR = join(import.meta.dirname, '..', 'fixtures', 'conformance');

export const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
export const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

export interface ConformanceCase {
  name: string;
  dir: string;
  shouldFail: boolean;
  bundlePath: string;
  artifactPath: string;
  artifactDigest: Buffer;
  identity: string;
  issuer: string;
  keyPath: string | undefined;
  trustedRootPath: string | undefined;
}

function readOpt(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

export function conformanceCases(): ConformanceCase[] {
  return readdirSync(CONFORMANCE_DIR)
    .filter((n) => statSync(join(CONFORMANCE_DIR, n)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(CONFORMANCE_DIR, name);
      const artifactPath = existsSync(join(dir, 'artifact')) ? join(dir, 'artifact') : join(CONFORMANCE_DIR, 'a.txt');
      return {
        name,
        dir,
        shouldFail: name.endsWith('fail'),
        bundlePath: join(dir, 'bundle.sigstore.json'),
        artifactPath,
        artifactDigest: createHash('sha256').update(readFileSync(artifactPath)).digest(),
        identity: readOpt(join(dir, 'identity')) ?? DEFAULT_IDENTITY,
        issuer: readOpt(join(dir, 'issuer')) ?? DEFAULT_ISSUER,
        keyPath: existsSync(join(dir, 'key.pub')) ? join(dir, 'key.pub') : undefined,
        trustedRootPath: existsSync(join(dir, 'trusted_root.json')) ? join(dir, 'trusted_root.json') : undefined,
      };
    });
}
