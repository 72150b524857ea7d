/**
 * Ambient OIDC credentials of CI providers, detected and fetched in the order of sigstore-python's
 * `id` package: GitHub Actions, Google Cloud, Buildkite, GitLab CI, CircleCI. A provider whose
 * environment is absent is skipped; a provider that is present but cannot give a token is an
 * {@link AmbientCredentialError} (it does not fall through to the next one, as in `id`).
 *
 * Every endpoint and command can be redirected for tests: the GitHub request URL comes from the
 * environment, the Google metadata server from `GCE_METADATA_HOST` or an option, the IAM
 * credentials API from an option, and the `buildkite-agent` and `circleci` commands from `PATH`.
 */
import type { ErrorCode } from '../errors.js';
import { detectGcp } from './ambient-gcp.js';
import { ctx, runProvider } from './ambient-run.js';
import { AmbientCredentialError } from './errors.js';
import { fetchFailure, fetchWithTimeout, isLoopbackUrl, snippet } from './util.js';

export { detectGcp } from './ambient-gcp.js';

/**
 * A CI provider with ambient OIDC credentials.
 *
 * @example
 * ```ts
 * const p: AmbientProvider = 'github';
 * ```
 */
export type AmbientProvider = 'github' | 'gcp' | 'gitlab' | 'buildkite' | 'circleci';

/**
 * Where and how ambient credentials are looked for.
 *
 * @example
 * ```ts
 * const options: AmbientOptions = { audience: 'sigstore', env: { ...process.env, GITHUB_ACTIONS: 'true' } };
 * ```
 */
export interface AmbientOptions {
  /** The audience to request. Default `sigstore`. */
  audience?: string;
  /** The environment to read (CI variables, `PATH`, `GCE_METADATA_HOST`). Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The providers to try (always tried in the built-in order: GitHub Actions, Google Cloud, Buildkite, GitLab CI, CircleCI). Default: all. */
  providers?: readonly AmbientProvider[];
  /** Google metadata server host (`host[:port]`). Default `$GCE_METADATA_HOST`, else `metadata.google.internal`. */
  gcpMetadataHost?: string;
  /** The file that says whether this is a Google Compute machine. Default `/sys/class/dmi/id/product_name`. */
  gcpProductNameFile?: string;
  /** Base URL of Google's IAM credentials API. Default `https://iamcredentials.googleapis.com`. */
  iamCredentialsUrl?: string;
  /** Time allowed for each request or command, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Debug messages (never contain tokens). */
  log?: (message: string) => void;
}

/**
 * A token found in the environment, and the provider it came from.
 *
 * @example
 * ```ts
 * const found: AmbientCredential | undefined = await detectAmbientCredential();
 * if (found) console.error(`using ambient credentials from ${found.provider}`);
 * ```
 */
export interface AmbientCredential {
  provider: AmbientProvider;
  /** The raw token (secret). */
  token: string;
}

/**
 * Human-readable provider names, for messages.
 *
 * @example
 * ```ts
 * AMBIENT_PROVIDER_NAMES.gcp; // 'Google Cloud'
 * ```
 */
export const AMBIENT_PROVIDER_NAMES: Readonly<Record<AmbientProvider, string>> = Object.freeze({
  github: 'GitHub Actions',
  gcp: 'Google Cloud',
  gitlab: 'GitLab CI',
  buildkite: 'Buildkite',
  circleci: 'CircleCI',
});



/**
 * GitHub Actions: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD` with
 * `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answered with `{"value": "<jwt>"}`.
 * Resolves to `undefined` outside GitHub Actions (`GITHUB_ACTIONS` unset).
 *
 * @example
 * ```ts
 * const jwt = await detectGitHub({ audience: 'sigstore' });
 * ```
 */
export async function detectGitHub(options: AmbientOptions = {}): Promise<string | undefined> {
  const c = ctx(options);
  const fail = (code: ErrorCode, m: string): never => {
    throw new AmbientCredentialError('github', code, `GitHub Actions: ${m}`);
  };
  if (!c.env.GITHUB_ACTIONS) {
    c.log('GitHub: GITHUB_ACTIONS is not set; not GitHub Actions');
    return undefined;
  }
  const permission =
    'missing or insufficient OIDC token permissions: the workflow (or job) needs `permissions: id-token: write`, ' +
    'which pull requests from forks cannot get';
  const reqToken = c.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!reqToken) fail('AMBIENT_GITHUB_PERMISSION', `${permission} (ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set)`);
  const reqUrl = c.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  if (!reqUrl) fail('AMBIENT_GITHUB_PERMISSION', `${permission} (ACTIONS_ID_TOKEN_REQUEST_URL is not set)`);
  let url: URL;
  try {
    // As actions/toolkit does: the URL as given, with `&audience=AUD` appended (its query is kept
    // byte for byte, not re-encoded).
    url = new URL(`${reqUrl}${reqUrl!.includes('?') ? '&' : '?'}audience=${encodeURIComponent(c.audience)}`);
  } catch {
    return fail('AMBIENT_CREDENTIAL_ERROR', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
    fail('AMBIENT_CREDENTIAL_ERROR', 'ACTIONS_ID_TOKEN_REQUEST_URL must be an https URL');
  }
  c.log(`GitHub: requesting an OIDC token from ${url.origin}${url.pathname}`);
  let resp: Response;
  try {
    resp = await fetchWithTimeout(url, { headers: { authorization: `bearer ${reqToken}`, accept: 'application/json' } }, c.timeoutMs);
  } catch (e) {
    return fail('AMBIENT_CREDENTIAL_ERROR', `OIDC token request failed (${fetchFailure(e, c.timeoutMs)})`);
  }
  const body = await resp.text();
  if (resp.status !== 200) {
    fail('AMBIENT_CREDENTIAL_ERROR', `OIDC token request failed (HTTP ${resp.status}: ${snippet(body, [reqToken])})`);
  }
  let value: unknown;
  try {
    value = (JSON.parse(body) as { value?: unknown })?.value;
  } catch {
    // handled below
  }
  if (typeof value !== 'string' || value.length === 0) fail('AMBIENT_CREDENTIAL_ERROR', 'malformed or incomplete JSON in the OIDC token response');
  c.log('GitHub: got an OIDC token');
  return value as string;
}

/**
 * GitLab's variable for an audience, as `id` names it: upper case, every character other than
 * `A-Z0-9_` (and a leading digit) replaced by `_`, then `_ID_TOKEN`.
 *
 * @example
 * ```ts
 * gitlabTokenVariable('sigstore'); // 'SIGSTORE_ID_TOKEN'
 * gitlabTokenVariable('http://test.audience'); // 'HTTP___TEST_AUDIENCE_ID_TOKEN'
 * ```
 */
export function gitlabTokenVariable(audience: string): string {
  return `${audience.toUpperCase().replace(/[^A-Z0-9_]|^[^A-Z_]/g, '_')}_ID_TOKEN`;
}

/**
 * GitLab CI: the job's `id_tokens:` entry named after the audience (`SIGSTORE_ID_TOKEN` for
 * `sigstore`). Resolves to `undefined` outside GitLab CI (`GITLAB_CI` unset).
 *
 * @example
 * ```ts
 * const jwt = await detectGitLab({ env: { GITLAB_CI: 'true', SIGSTORE_ID_TOKEN: jwtFromJob } });
 * ```
 */
export async function detectGitLab(options: AmbientOptions = {}): Promise<string | undefined> {
  const c = ctx(options);
  if (!c.env.GITLAB_CI) {
    c.log('GitLab: GITLAB_CI is not set; not GitLab CI');
    return undefined;
  }
  const name = gitlabTokenVariable(c.audience);
  const token = c.env[name]?.trim();
  if (!token) {
    throw new AmbientCredentialError(
      'gitlab',
      'AMBIENT_CREDENTIAL_ERROR',
      `GitLab CI: the environment variable ${name} is not set (declare it under the job's id_tokens: with aud: ${c.audience})`,
    );
  }
  c.log(`GitLab: found a token in ${name}`);
  return token;
}

/**
 * Buildkite: `buildkite-agent oidc request-token --audience AUD`. Resolves to `undefined` outside
 * Buildkite (`BUILDKITE` unset).
 *
 * @example
 * ```ts
 * const jwt = await detectBuildkite();
 * ```
 */
export async function detectBuildkite(options: AmbientOptions = {}): Promise<string | undefined> {
  const c = ctx(options);
  if (!c.env.BUILDKITE) {
    c.log('Buildkite: BUILDKITE is not set; not Buildkite');
    return undefined;
  }
  return await runProvider(c, 'buildkite', 'Buildkite', 'buildkite-agent', ['oidc', 'request-token', '--audience', c.audience]);
}

/**
 * CircleCI: `circleci run oidc get --claims '{"aud":"AUD"}'`. Resolves to `undefined` outside
 * CircleCI (`CIRCLECI` unset).
 *
 * @example
 * ```ts
 * const jwt = await detectCircleCI();
 * ```
 */
export async function detectCircleCI(options: AmbientOptions = {}): Promise<string | undefined> {
  const c = ctx(options);
  if (!c.env.CIRCLECI) {
    c.log('CircleCI: CIRCLECI is not set; not CircleCI');
    return undefined;
  }
  return await runProvider(c, 'circleci', 'CircleCI', 'circleci', ['run', 'oidc', 'get', '--claims', JSON.stringify({ aud: c.audience })]);
}

/** Finds `name` on the environment's `PATH`, as a shell would. */
/**
 * The providers, in detection order: `detect_credential` of the `id` package sigstore-python uses
 * (id 1.6: GitHub Actions, Google Cloud, Buildkite, GitLab CI, CircleCI).
 *
 * @example
 * ```ts
 * for (const p of AMBIENT_PROVIDERS) console.log(p.provider);
 * ```
 */
export const AMBIENT_PROVIDERS: readonly { provider: AmbientProvider; detect: (o: AmbientOptions) => Promise<string | undefined> }[] =
  Object.freeze([
    { provider: 'github', detect: detectGitHub },
    { provider: 'gcp', detect: detectGcp },
    { provider: 'buildkite', detect: detectBuildkite },
    { provider: 'gitlab', detect: detectGitLab },
    { provider: 'circleci', detect: detectCircleCI },
  ]);

/**
 * Tries each provider in order and resolves to the first credential found, or `undefined` when
 * the environment is none of them. A provider that is detected but fails throws
 * {@link AmbientCredentialError}.
 *
 * @example
 * ```ts
 * const found = await detectAmbientCredential({ audience: 'sigstore' });
 * const ambient = found ? new IdentityToken(found.token, { source: `from ${found.provider}` }) : undefined;
 * ```
 */
export async function detectAmbientCredential(options: AmbientOptions = {}): Promise<AmbientCredential | undefined> {
  const wanted = options.providers;
  for (const { provider, detect } of AMBIENT_PROVIDERS) {
    if (wanted && !wanted.includes(provider)) continue;
    const token = await detect(options);
    if (token !== undefined) return { provider, token };
  }
  return undefined;
}
