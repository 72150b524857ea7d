/**
 * The `sigstore` command: dispatches to one lazily loaded module per command, so a command loads
 * only the code it needs, and turns errors into one-line messages and exit codes
 * (0 success, 1 failure, 2 usage). Stack traces only with `-v`.
 */
import { SigstoreError, UsageError } from '../errors.js';
import { writeStderr, writeStdout } from '../lib/stdio.js';
import { commandIndex, GLOBAL_VALUED, isVerboseFlag, shown } from './args.js';
import { VERSION } from '../version.js';

/** Every command module exports `run(argv)`, resolving to the exit code. */
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, { load: () => Promise<CommandModule>; summary: string }> = {
  sign: { load: () => import('./sign.js'), summary: 'sign one or more inputs' },
  attest: { load: () => import('./attest.js'), summary: 'sign one or more inputs using DSSE (in-toto attestations)' },
  verify: { load: () => import('./verify.js'), summary: 'verify one or more inputs' },
  'get-identity-token': { load: () => import('./get-identity-token.js'), summary: 'retrieve and print an OIDC identity token' },
  inspect: { load: () => import('./inspect.js'), summary: 'show what a bundle contains (does not verify it)' },
  attestation: { load: () => import('./attestation.js'), summary: 'PEP 740 attestations for Python distributions' },
  'trust-instance': { load: () => import('./trust-instance.js'), summary: 'pin the TUF root of a Sigstore instance' },
  plumbing: { load: () => import('./plumbing.js'), summary: 'developer-only plumbing operations' },
  instance: { load: () => import('./instance.js'), summary: 'run a local Sigstore instance (OIDC, Fulcio, Rekor, TSA, TUF)' },
};

const HELP = `usage: sigstore [-h] [-v] [-V] [--staging | --instance URL | --trust-config FILE] COMMAND ...

a tool for signing and verifying Python package distributions and any other artifact

commands:
${Object.entries(COMMANDS)
  .map(([n, c]) => `  ${n.padEnd(20)}${c.summary}`)
  .join('\n')}

options:
  -h, --help            show this help message and exit
  -v, --verbose         run with additional debug logging; supply multiple times to increase verbosity
  -V, --version         show program's version number and exit
  --staging             use sigstore's staging instance, instead of the default production instance
                        ($SIGSTORE_STAGING)
  --instance URL        use a given Sigstore instance (its TUF repository URL), pinned with trust-instance
  --trust-config FILE   the client trust configuration (trusted root and signing config) to use
  --trust-cache DIR     where TUF metadata and trust material are cached (default: $SIGSTORE_TRUST_CACHE,
                        else the XDG data and cache directories)

environment:
  SIGSTORE_STAGING      1/0, true/false, yes/no, on/off: like --staging (a flag on the command line
                        that selects an instance wins); any other value is a usage error
  SIGSTORE_LOGLEVEL     DEBUG is -v; INFO (the default), WARNING, ERROR and CRITICAL keep the
                        default output; any other value is a usage error
  SIGSTORE_TRUST_CACHE  like --trust-cache DIR
  SIGSTORE_NO_CODE_CACHE
                        any value: keep no V8 code cache of the CLI (default: one per program in
                        $XDG_CACHE_HOME/sigstore-ts/v8, else ~/.cache/sigstore-ts/v8)
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY
                        the proxy for HTTPS and HTTP requests, and the hosts reached without it
Each command's --help lists its own variables (sigstore-python's names).
`;

/** Whether `-v` was given anywhere: decides whether errors show a stack trace. */
function verbosity(argv: string[]): number {
  let n = 0;
  for (const a of argv) {
    if (a === '--') break;
    if (a === '--verbose') n++;
    else if (isVerboseFlag(a)) n += a.length - 1;
  }
  return n;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let verbose = verbosity(argv);
  try {
    const idx0 = commandIndex(argv);
    // SIGSTORE_STAGING and SIGSTORE_LOGLEVEL (src/cli/env-globals.ts) become global flags.
    if (idx0 >= 0 && (process.env.SIGSTORE_STAGING !== undefined || process.env.SIGSTORE_LOGLEVEL !== undefined)) {
      const extra = (await import('./env-globals.js')).envGlobals(argv);
      argv = [...extra, ...argv];
      verbose = verbosity(argv);
    }
    const idx = commandIndex(argv);
    const globals = idx < 0 ? argv : argv.slice(0, idx);
    if (globals.includes('-V') || globals.includes('--version')) {
      writeStdout(`sigstore-ts ${VERSION}\n`);
      return 0;
    }
    const unknownGlobal = globals.find((g) => !/^(-h|--help|-v+|--verbose|--staging)$/.test(g) && ![...GLOBAL_VALUED].some((v) => g.startsWith(v)));
    if (idx < 0 && unknownGlobal) throw new UsageError('USAGE', `unrecognized option '${unknownGlobal}'`);
    if (idx < 0) {
      if (globals.includes('-h') || globals.includes('--help')) {
        writeStdout(HELP);
        return 0;
      }
      writeStderr(HELP);
      throw new UsageError('USAGE', 'a command is required');
    }
    const name = argv[idx]!;
    const cmd = COMMANDS[name];
    if (!cmd) throw new UsageError('USAGE', `unknown command '${shown(name)}' (choose from ${Object.keys(COMMANDS).join(', ')})`);
    const mod = await cmd.load();
    // Global options go last, so a command's own words (e.g. `verify identity`) come first.
    return await mod.run([...argv.slice(idx + 1), ...globals]);
  } catch (e) {
    return reportError(e, verbose);
  }
}

/** Prints an error as one line (with the stack when verbose) and returns its exit code. */
export function reportError(e: unknown, verbose: number): number {
  if (e instanceof UsageError) {
    writeStderr(`sigstore: error: ${e.message}\n`);
    if (verbose) writeStderr(`${e.stack}\n`);
    return 2;
  }
  if (e instanceof SigstoreError) {
    writeStderr(`error: ${e.message}\n`);
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    writeStderr(`error: unexpected failure: ${msg.split('\n')[0]}${verbose ? '' : ' (run with -v for details)'}\n`);
  }
  if (verbose && e instanceof Error) writeStderr(`${e.stack}\n`);
  return 1;
}
