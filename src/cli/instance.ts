/**
 * `sigstore instance`: runs the local Sigstore instance (`serve`) and prints ID tokens from a
 * running one (`token`). The instance code is loaded only here, never by sign/verify.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NetworkError, SigstoreError, UsageError } from '../errors.js';
import { flag, GLOBAL_VALUED, parse, shown, splitSubcommand, str, usage } from './args.js';

const HELP = `usage: sigstore instance [-h] {serve,token} ...

run a local Sigstore instance: OIDC provider, Fulcio, CT log, Rekor v1 and v2, timestamp
authority and TUF repository, on one port of 127.0.0.1, for tests and offline work

commands:
  serve                 start the instance and serve until Ctrl-C (or SIGTERM)
  token                 print a fresh ID token from a running instance's OIDC provider

options:
  -h, --help            show this help message and exit

Run 'sigstore instance COMMAND --help' for a command's options.
`;

const SERVE_HELP = `usage: sigstore instance serve [-h] [-v] --data-dir DIR [--port PORT] [--identity EMAIL_OR_URI]

start the local Sigstore instance and serve until Ctrl-C (or SIGTERM)

Keys, logs and the TUF repository live in DIR and are reused on restart: the logs keep every
acknowledged entry (they are fsync'ed before the instance answers). Once every service answers,
the instance writes DIR/trust_config.json (its trusted root and signing config, for
--trust-config) and DIR/root.json (its TUF root), and prints its URLs.

options:
  -h, --help            show this help message and exit
  -v, --verbose         log every request to stderr (internal errors are always logged)
  --data-dir DIR        the instance's data directory (created if missing)
  --port PORT           the port on 127.0.0.1 (default: the port DIR's instance used last, or a
                        free one; 0 picks a free one)
  --identity EMAIL_OR_URI
                        whom tokens are issued for: an email address, a GitHub workflow URI
                        (https://github.com/OWNER/REPO/.github/workflows/FILE@refs/heads/BRANCH,
                        with GitHub-style claims) or another URI (default: the last one used, or
                        signer@example.com)
`;

const TOKEN_HELP = `usage: sigstore instance token [-h] --data-dir DIR [--identity EMAIL_OR_URI] [--audience AUD] [--ttl SECONDS]

print a fresh ID token (a JWT) from the OIDC provider of the instance running in DIR, on stdout

options:
  -h, --help            show this help message and exit
  --data-dir DIR        the data directory of a running instance ('sigstore instance serve')
  --identity EMAIL_OR_URI
                        the identity to issue the token for (default: the instance's)
  --audience AUD        the token's audience (default: sigstore)
  --ttl SECONDS         the token's lifetime, 1 to 3600 seconds (default: 300)
`;

function dataDir(p: ReturnType<typeof parse>): string {
  const d = str(p, 'data-dir');
  if (d === undefined || d === '') usage('--data-dir is required');
  return resolve(d);
}

async function serve(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, { 'data-dir': { type: 'string' }, port: { type: 'string' }, identity: { type: 'string' } }, { allowPositionals: false });
  if (flag(p, 'help')) {
    io.stdout.write(SERVE_HELP);
    return 0;
  }
  const dir = dataDir(p);
  const portText = str(p, 'port');
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) usage(`--port: ${JSON.stringify(portText)} is not a port number (0-65535)`);
  }
  const identity = str(p, 'identity');
  const { parseIdentity, startInstance } = await import('../instance/index.js');
  if (identity !== undefined) parseIdentity(identity);
  const verbose = flag(p, 'verbose');
  // Listen for Ctrl-C / SIGTERM from the start: a signal during start-up stops the instance as
  // soon as it is up (rather than killing it half-started).
  let onSignal: (sig: string) => void = () => {};
  const signalled = new Promise<string>((resolve) => {
    onSignal = resolve;
  });
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let inst: Awaited<ReturnType<typeof startInstance>>;
  try {
    inst = await startInstance({
      dataDir: dir,
      ...(port !== undefined ? { port } : {}),
      ...(identity !== undefined ? { identity } : {}),
      // Requests only with -v; internal errors and warnings always.
      log: (l: string) => {
        if (verbose || /^(error|warning):/.test(l)) io.stderr.write(`${l}\n`);
      },
    });
  } catch (e) {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    throw e;
  }
  const files = inst.files;
  io.stdout.write(`sigstore-ts local instance serving on ${inst.url}
  OIDC issuer     ${inst.issuer}
  Fulcio          ${inst.url}
  Rekor v1 and v2 ${inst.url}
  TSA             ${inst.tsaUrl}
  CT log          ${inst.ctUrl}
  TUF repository  ${inst.tufUrl}
identity:         ${inst.identity}
trust config:     ${files.trustConfig}
TUF root:         ${files.tufRoot}

Point a client at it with the trust config (trusted root and signing config):
  sigstore --trust-config ${files.trustConfig} sign --identity-token "$(sigstore instance token --data-dir ${dir})" FILE
  sigstore --trust-config ${files.trustConfig} verify identity --cert-identity ${inst.identity} --cert-oidc-issuer ${inst.issuer} FILE
or bootstrap trust over TUF from its root, like from production: TUF URL ${inst.tufUrl}, root ${files.tufRoot}.
Press Ctrl-C to stop.
`);
  const sig = await signalled;
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  io.stderr.write(`${sig}: stopping\n`);
  await inst.stop();
  io.stderr.write('stopped\n');
  return 0;
}

async function token(argv: string[], io: Io): Promise<number> {
  const p = parse(
    argv,
    { 'data-dir': { type: 'string' }, identity: { type: 'string' }, audience: { type: 'string' }, ttl: { type: 'string' } },
    { allowPositionals: false },
  );
  if (flag(p, 'help')) {
    io.stdout.write(TOKEN_HELP);
    return 0;
  }
  const dir = dataDir(p);
  const { instancePaths, parseIdentity } = await import('../instance/index.js');
  const identity = str(p, 'identity');
  if (identity !== undefined) parseIdentity(identity);
  const ttl = str(p, 'ttl');
  if (ttl !== undefined && (!/^\d+$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > 3600)) usage('--ttl must be a number of seconds from 1 to 3600');
  const statePath = instancePaths(dir).state;
  if (!existsSync(statePath)) throw new SigstoreError('INSTANCE_NOT_FOUND', `no instance in ${dir} (start one with 'sigstore instance serve --data-dir ${dir}')`);
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { url?: string | null; pid?: number | null };
  if (!state.url || !state.pid) throw new SigstoreError('INSTANCE_NOT_RUNNING', `the instance in ${dir} is not running (start it with 'sigstore instance serve --data-dir ${dir}')`);
  const issuer = `${state.url}/oauth2`;
  let tokenEndpoint: string;
  // Through the project's HTTP client, as every other request (proxies, extra CA certificates).
  const { fetchWithTimeout } = await import('../oidc/util.js');
  try {
    const disc = await fetchWithTimeout(`${issuer}/.well-known/openid-configuration`, {}, 10_000);
    if (!disc.ok) throw new NetworkError('INSTANCE_OIDC', `OIDC discovery at ${issuer} answered HTTP ${disc.status}`, { status: disc.status });
    tokenEndpoint = ((await disc.json()) as { token_endpoint: string }).token_endpoint;
  } catch (e) {
    if (e instanceof SigstoreError) throw e;
    throw new NetworkError('INSTANCE_UNREACHABLE', `the instance in ${dir} does not answer at ${state.url} (is it running?)`, { cause: e });
  }
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'sigstore' });
  if (identity !== undefined) form.set('identity', identity);
  const audience = str(p, 'audience');
  if (audience !== undefined) form.set('audience', audience);
  if (ttl !== undefined) form.set('ttl', ttl);
  const res = await fetchWithTimeout(tokenEndpoint, { method: 'POST', body: form }, 10_000);
  const body = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string; error_description?: string };
  if (!res.ok || typeof body.id_token !== 'string') {
    throw new NetworkError('INSTANCE_TOKEN', `the token request failed: ${body.error ?? `HTTP ${res.status}`}${body.error_description ? ` (${body.error_description})` : ''}`, {
      status: res.status,
    });
  }
  io.stdout.write(`${body.id_token}\n`);
  return 0;
}

/** Where the command writes (the process's streams by default; tests pass their own). */
export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/**
 * Runs `sigstore instance ARGS`; resolves to the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['token', '--data-dir', '/tmp/sigstore-local']);
 * ```
 */
export async function run(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const { sub, rest } = splitSubcommand(argv, new Set(['--data-dir', '--port', '--identity', '--audience', '--ttl', ...GLOBAL_VALUED]));
  if (sub === undefined) {
    if (argv.includes('-h') || argv.includes('--help')) {
      io.stdout.write(HELP);
      return 0;
    }
    io.stderr.write(HELP);
    throw new UsageError('USAGE', 'a command is required (serve or token)');
  }
  switch (sub) {
    case 'serve':
      return serve(rest, io);
    case 'token':
      return token(rest, io);
    default:
      throw new UsageError('USAGE', `unknown instance command '${shown(sub)}' (choose from serve, token)`);
  }
}
