/**
 * Semantic versions as slsa-verifier reads them (Go's golang.org/x/mod/semver): a `v` prefix,
 * `vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`, no leading zeros in numbers; the short forms
 * `v1` and `v1.2` stand for `v1.0.0` and `v1.2.0` and take no prerelease or build.
 */

/** A parsed version; `parts` is how many of major, minor and patch were written (1-3). */
export interface SemVer {
  major: string;
  minor: string;
  patch: string;
  /** With its leading `-`, or empty. */
  prerelease: string;
  /** With its leading `+`, or empty (ignored by comparisons, as semver says). */
  build: string;
  parts: 1 | 2 | 3;
}

const NUM = '(0|[1-9][0-9]*)';
const PRE_ID = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const BUILD_ID = '[0-9A-Za-z-]+';
const FULL = new RegExp(`^v${NUM}\\.${NUM}\\.${NUM}(-${PRE_ID}(?:\\.${PRE_ID})*)?(\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?$`);
const SHORT = new RegExp(`^v${NUM}(?:\\.${NUM})?$`);

/** Parses `v` as semver; undefined when it is not one. */
export function parseSemver(v: string): SemVer | undefined {
  const m = FULL.exec(v);
  if (m) return { major: m[1]!, minor: m[2]!, patch: m[3]!, prerelease: m[4] ?? '', build: m[5] ?? '', parts: 3 };
  const s = SHORT.exec(v);
  if (s) return { major: s[1]!, minor: s[2] ?? '0', patch: '0', prerelease: '', build: '', parts: s[2] === undefined ? 1 : 2 };
  return undefined;
}

/** A release tag of a builder: exactly `vX.Y.Z`, no prerelease, no build metadata. */
export function isReleaseVersion(v: string): boolean {
  const p = parseSemver(v);
  return p !== undefined && p.parts === 3 && p.prerelease === '' && p.build === '';
}

/**
 * Whether the version `actual` (a full or short semver) satisfies `expected` the way
 * slsa-verifier's `--source-versioned-tag` does: the same major; the same minor when `expected`
 * gives one; the same patch and prerelease when it gives a patch. Build metadata is ignored.
 * Returns the first part that differs, or undefined on a match.
 */
export function versionMismatch(expected: SemVer, actual: SemVer): 'major' | 'minor' | 'patch' | undefined {
  if (expected.major !== actual.major) return 'major';
  if (expected.parts >= 2 && expected.minor !== actual.minor) return 'minor';
  if (expected.parts === 3 && (expected.patch !== actual.patch || expected.prerelease !== actual.prerelease)) return 'patch';
  return undefined;
}
