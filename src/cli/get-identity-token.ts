/**
 * `sigstore get-identity-token`: prints an OIDC identity token from the same sources `sign` uses
 * (`--identity-token`, `SIGSTORE_IDENTITY_TOKEN`, ambient CI credentials, the interactive login).
 * The token goes to stdout and nowhere else; everything else goes to stderr.
 *
 * The identity flags and their `SIGSTORE_*` environment variables are exported for the signing
 * commands: spread {@link IDENTITY_OPTIONS} into their options and call {@link identityOptions}.
 */
import { UsageError } from '../errors.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import type { GetIdentityTokenOptions } from '../oidc/index.js';
import { exclusive, flag, type Options, type Parsed, parse, str, trustFlags } from './args.js';

/**
 * The identity flags, shared by every command that gets a token.
 *
 * @example
 * ```ts
 * const p = parse(argv, { ...IDENTITY_OPTIONS, bundle: { type: 'string' } });
 * ```
 */
export const IDENTITY_OPTIONS: Options = {
  'identity-token': { type: 'string' },
  'oidc-client-id': { type: 'string' },
  'oidc-client-secret': { type: 'string' },
  'oidc-issuer': { type: 'string' },
  'oidc-disable-ambient-providers': { type: 'boolean' },
  'oauth-force-oob': { type: 'boolean' },
  audience: { type: 'string' },
};

/**
 * Help text of the identity flags, for the commands' `--help`.
 *
 * @example
 * ```ts
 * writeStdout(`usage: sigstore sign [options] FILE...\n\n${IDENTITY_HELP}`);
 * ```
 */
export const IDENTITY_HELP = `OpenID Connect options:
  --identity-token TOKEN
                        the OIDC identity token to use (default: $SIGSTORE_IDENTITY_TOKEN, then
                        ambient CI credentials (on GitLab CI the job's id_tokens entry named after
                        the audience, $SIGSTORE_ID_TOKEN by default), then the interactive login)
  --oidc-client-id ID   the custom OpenID Connect client ID to use during OAuth2; also the audience
                        every token (explicit, ambient or interactive) must carry, unless
                        $SIGSTORE_OIDC_AUDIENCE says otherwise (default: $SIGSTORE_OIDC_CLIENT_ID or sigstore)
  --oidc-client-secret SECRET
                        the custom OpenID Connect client secret to use during OAuth2
                        (default: $SIGSTORE_OIDC_CLIENT_SECRET)
  --oidc-disable-ambient-providers
                        disable ambient OpenID Connect credential detection (GitHub Actions, Google
                        Cloud, Buildkite, GitLab CI, CircleCI, tried in that order)
                        (default: $SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS)
  --oidc-issuer URL     the OpenID Connect issuer of the interactive login (default: $SIGSTORE_OIDC_ISSUER,
                        else the issuer in the signing config of the selected instance (the
                        one --trust-config, --instance or --staging selects; without them,
                        public-good Sigstore's https://oauth2.sigstore.dev/auth)
  --oauth-force-oob     force an out-of-band OAuth flow and do not automatically start the default
                        web browser (default: $SIGSTORE_OAUTH_FORCE_OOB)
Boolean variables take 1/0, true/false, yes/no or on/off; any other value is a usage error.
A flag wins over its environment variable.
`;

const HELP = `usage: sigstore get-identity-token [-h] [-v] [--staging | --instance URL | --trust-config FILE]
                                   [--identity-token TOKEN] [--oidc-client-id ID]
                                   [--oidc-client-secret SECRET] [--oidc-issuer URL]
                                   [--oidc-disable-ambient-providers] [--oauth-force-oob]

retrieve and print an OIDC identity token (on stdout, and nowhere else)

options:
  -h, --help            show this help message and exit
  -v, --verbose         show where the token comes from (never the token itself)
  --staging             use the staging instance's OIDC issuer ($SIGSTORE_STAGING)
  --instance URL        use this Sigstore instance's OIDC issuer (from its signing config)
  --trust-config FILE   use the OIDC issuer of this client trust configuration's signing config

${IDENTITY_HELP}`;

/**
 * A boolean `SIGSTORE_*` variable, read as sigstore-python does (`1/0, true/false, yes/no, on/off,
 * y/n, t/f`); anything else is a usage error.
 *
 * @example
 * ```ts
 * envFlag(process.env, 'SIGSTORE_OAUTH_FORCE_OOB'); // false when unset
 * ```
 */
export function envFlag(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  const v = env[name];
  if (v === undefined) return false;
  const l = v.toLowerCase();
  if (['y', 'yes', 'true', 't', 'on', '1'].includes(l)) return true;
  if (['n', 'no', 'false', 'f', 'off', '0', ''].includes(l)) return false;
  throw new UsageError('USAGE', `${name}: can't read ${JSON.stringify(v)} as a boolean (use 1/0, true/false, yes/no or on/off)`);
}

/**
 * Turns parsed identity flags (and their `SIGSTORE_*` environment variables) into
 * {@link GetIdentityTokenOptions}. Flags win over the environment. `defaults.issuer` is the
 * issuer of the instance in use (from its signing config) when `--oidc-issuer` and
 * `SIGSTORE_OIDC_ISSUER` are both absent; without it, `--staging` picks the staging issuer, and
 * otherwise the production one.
 *
 * @example
 * ```ts
 * const p = parse(argv, IDENTITY_OPTIONS);
 * const token = await getIdentityToken(identityOptions(p, process.env));
 * ```
 */
export function identityOptions(
  p: Parsed,
  env: Readonly<Record<string, string | undefined>> = process.env,
  defaults: { issuer?: string } = {},
): GetIdentityTokenOptions {
  const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  const options: GetIdentityTokenOptions = { env };
  const token = str(p, 'identity-token');
  if (token !== undefined) {
    if (token.trim() === '') throw new UsageError('USAGE', '--identity-token is empty');
    options.identityToken = token;
  }
  const clientId = str(p, 'oidc-client-id') ?? nonEmpty(env.SIGSTORE_OIDC_CLIENT_ID);
  if (clientId !== undefined) options.clientId = clientId;
  const clientSecret = str(p, 'oidc-client-secret') ?? nonEmpty(env.SIGSTORE_OIDC_CLIENT_SECRET);
  if (clientSecret !== undefined) options.clientSecret = clientSecret;
  let issuer = str(p, 'oidc-issuer') ?? nonEmpty(env.SIGSTORE_OIDC_ISSUER) ?? defaults.issuer;
  if (issuer === undefined && flag(p, 'staging')) issuer = 'https://oauth2.sigstage.dev/auth';
  if (issuer !== undefined) {
    try {
      new URL(issuer);
    } catch {
      throw new UsageError('USAGE', `--oidc-issuer: ${JSON.stringify(issuer)} is not a URL`);
    }
    options.issuer = issuer;
  }
  options.disableAmbientProviders = flag(p, 'oidc-disable-ambient-providers') || envFlag(env, 'SIGSTORE_OIDC_DISABLE_AMBIENT_PROVIDERS');
  options.forceOob = flag(p, 'oauth-force-oob') || envFlag(env, 'SIGSTORE_OAUTH_FORCE_OOB');
  // As sigstore-python: the client ID is also the audience tokens must carry (and ambient
  // providers are asked for), unless an audience is given explicitly.
  const audience = str(p, 'audience') ?? nonEmpty(env.SIGSTORE_OIDC_AUDIENCE) ?? clientId;
  if (audience !== undefined) options.audience = audience;
  return options;
}

/**
 * The OIDC issuer in the signing config of the instance the flags select (`--trust-config`,
 * `--instance`, `--staging`), as sigstore-python takes it from its signing config.
 *
 * @example
 * ```ts
 * const issuer = await instanceOidcIssuer(parse(['--trust-config', 'trust_config.json'], IDENTITY_OPTIONS));
 * ```
 */
export async function instanceOidcIssuer(p: Parsed): Promise<string> {
  const { readTrustFile } = await import('../trust/load.js');
  const trustConfig = str(p, 'trust-config');
  let config: import('../trust/signing-config.js').SigningConfig;
  if (trustConfig !== undefined) {
    const { parseClientTrustConfig } = await import('../trust/client-config.js');
    config = parseClientTrustConfig(readTrustFile(trustConfig, 'trust config'), trustConfig).signingConfig;
  } else {
    const { loadSigningConfigJson } = await import('../trust/load.js');
    const { trustSourceFromFlags } = await import('../trust/instances.js');
    const { parseSigningConfig } = await import('../trust/signing-config.js');
    const source = trustSourceFromFlags(trustFlags(p));
    config = parseSigningConfig(await loadSigningConfigJson(source), 'signing config');
  }
  if (config.oidcUrls.length === 0) throw new UsageError('USAGE', "the instance's signing config names no OIDC provider: give the issuer with --oidc-issuer (or SIGSTORE_OIDC_ISSUER)");
  const { selectService } = await import('../sign/select.js');
  return selectService(config.oidcUrls, { versions: [1], what: 'OIDC provider' }).url;
}

/**
 * Runs `sigstore get-identity-token`: prints the token on stdout, resolves to the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['--oidc-disable-ambient-providers', '--oauth-force-oob']);
 * ```
 */
export async function run(argv: string[]): Promise<number> {
  const p = parse(argv, IDENTITY_OPTIONS, { allowPositionals: false });
  if (flag(p, 'help')) {
    writeStdout(HELP);
    return 0;
  }
  // One instance at most (the usage line's `--staging | --instance URL | --trust-config FILE`).
  exclusive(p, ['staging', 'instance', 'trust-config']);
  const verbose = flag(p, 'verbose');
  const options = identityOptions(p, process.env);
  if (!options.issuer && (str(p, 'instance') !== undefined || str(p, 'trust-config') !== undefined)) {
    // The instance's issuer is in its signing config: read only when the interactive login is
    // reached (a token or ambient credentials need no issuer).
    options.issuer = () => instanceOidcIssuer(p);
  }
  if (verbose) options.log = (m) => writeStderr(`${m}\n`);
  const { getIdentityToken } = await import('../oidc/index.js');
  const token = await getIdentityToken(options);
  if (verbose) writeStderr(`identity: ${token.identity} (issuer ${token.issuer}, expires ${token.expiresAt.toISOString()})\n`);
  writeStdout(`${token.rawToken}\n`);
  return 0;
}
