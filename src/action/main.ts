/**
 * The GitHub Action (action.yml): signs (or attests) the files named by `inputs` with the job's
 * ambient GitHub OIDC token through the CLI's own `sign` / `attest`, verifies them when asked
 * (`verify identity`), and reports the bundles as step outputs and a job summary. Inputs come as
 * `INPUT_*` variables, with gh-action-sigstore-python's names and meanings. Built into the
 * committed single file action/index.cjs (node action/build.mjs): nothing is installed when
 * the action runs.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SigstoreError, UsageError } from '../errors.js';
import { embeddedTrustMaterial, trustedRootFromConfig } from '../trust/load.js';
import type { TrustMaterial } from '../trust/trusted-root.js';
import { expandGlob } from './glob.js';
import { appendSummary, describeBundle, type Signed, setOutput, summaryMarkdown } from './report.js';

type Env = NodeJS.ProcessEnv;

class ActionError extends Error {}

/** An input as the runner passes it: `INPUT_NAME` (hyphens kept, as @actions/core reads it), or with underscores. */
export function input(env: Env, name: string): string {
  const upper = name.toUpperCase();
  return (env[`INPUT_${upper}`] ?? env[`INPUT_${upper.replace(/-/g, '_')}`] ?? '').trim();
}

/** A boolean input: `true` or `false` (empty: the default), anything else refused. */
export function boolInput(env: Env, name: string, dflt: boolean): boolean {
  const v = input(env, name).toLowerCase();
  if (v === '') return dflt;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ActionError(`input ${name} must be true or false (got ${JSON.stringify(v)})`);
}

/** The files to sign: every pattern must match at least one regular file. */
export function resolveFiles(env: Env, cwd: string): string[] {
  const patterns = input(env, 'inputs').split(/\s+/).filter((x) => x !== '');
  if (patterns.length === 0) throw new ActionError('no inputs given: set `inputs` to the files to sign (whitespace-separated paths or globs)');
  const files: string[] = [];
  for (const pattern of patterns) {
    if (pattern.startsWith('-')) throw new ActionError(`input ${pattern} looks like a flag`);
    const matches = expandGlob(pattern, cwd);
    if (matches.length === 0) throw new ActionError(`input ${pattern} does not match any file`);
    for (const m of matches) {
      const abs = isAbsolute(m) ? m : join(cwd, m);
      if (!statSync(abs).isFile()) throw new ActionError(`input ${m} is not a regular file`);
      if (m.endsWith('.sigstore.json')) continue; // a bundle of an earlier run, not an input
      if (!files.includes(m)) files.push(m);
    }
  }
  if (files.length === 0) throw new ActionError('the inputs match only Sigstore bundles: nothing to sign');
  return files;
}

/** The instance the inputs choose: `--staging` or, for tests, `--trust-config FILE`. */
export function instanceArgs(env: Env): string[] {
  const trustConfig = input(env, 'internal-be-careful-trust-config');
  const staging = boolInput(env, 'staging', false);
  if (trustConfig && staging) throw new ActionError('staging and internal-be-careful-trust-config cannot be used together');
  return staging ? ['--staging'] : trustConfig ? ['--trust-config', trustConfig] : [];
}

function rekorArgs(env: Env): string[] {
  const rekor = input(env, 'rekor-version');
  if (rekor === '') return [];
  if (rekor !== '1' && rekor !== '2') throw new ActionError(`input rekor-version must be 1 or 2 (got ${JSON.stringify(rekor)})`);
  return ['--rekor-version', rekor];
}

function identityArgs(env: Env): string[] {
  const args: string[] = [];
  const clientId = input(env, 'oidc-client-id');
  const clientSecret = input(env, 'oidc-client-secret');
  if (clientId) args.push('--oidc-client-id', clientId);
  if (clientSecret) args.push(`--oidc-client-secret=${clientSecret}`);
  return args;
}

function trustFor(env: Env): TrustMaterial {
  const trustConfig = input(env, 'internal-be-careful-trust-config');
  if (trustConfig) return trustedRootFromConfig(trustConfig);
  return embeddedTrustMaterial(boolInput(env, 'staging', false) ? 'staging' : 'production');
}

/** Runs one CLI command in this process; resolves to its exit code. */
async function cli(module: 'sign' | 'attest' | 'verify', argv: string[]): Promise<number> {
  const load = { sign: () => import('../cli/sign.js'), attest: () => import('../cli/attest.js'), verify: () => import('../cli/verify.js') }[module];
  try {
    return await (await load()).run(argv);
  } catch (e) {
    // As the CLI reports it (src/cli/main.ts): one line, exit 2 for usage errors.
    const usage = e instanceof UsageError;
    const message = e instanceof SigstoreError ? e.message : `unexpected failure: ${(e as Error).message}`;
    process.stderr.write(`${usage ? 'sigstore: error' : 'error'}: ${message.split('\n')[0]}\n`);
    return usage ? 2 : 1;
  }
}

/** The action's whole run; resolves to the process exit code. */
export async function runAction(env: Env = process.env, cwd: string = process.cwd()): Promise<number> {
  const files = resolveFiles(env, cwd);
  const instance = instanceArgs(env);
  const rekor = rekorArgs(env);
  const attest = boolInput(env, 'attest', false);
  const verify = boolInput(env, 'verify', false);
  const certIdentity = input(env, 'verify-cert-identity');
  const oidcIssuer = input(env, 'verify-oidc-issuer');
  if (verify && (!certIdentity || !oidcIssuer)) throw new ActionError('verify: true needs verify-cert-identity and verify-oidc-issuer');
  if (!verify && (certIdentity || oidcIssuer)) throw new ActionError('verify-cert-identity and verify-oidc-issuer need verify: true');
  const predicate = input(env, 'predicate');
  const predicateType = input(env, 'predicate-type');
  if (attest && (!predicate || !predicateType)) throw new ActionError('attest: true needs predicate (a JSON file) and predicate-type');
  if (!attest && (predicate || predicateType)) throw new ActionError('predicate and predicate-type need attest: true');

  const token = input(env, 'identity-token');
  const tokenArgs = token ? ['--identity-token', token] : [];
  const signArgs = [...(attest ? ['--predicate', predicate, '--predicate-type', predicateType] : []), ...instance, ...rekor, ...identityArgs(env), ...tokenArgs, '--', ...files];
  const code = await cli(attest ? 'attest' : 'sign', signArgs);
  if (code !== 0) {
    process.stdout.write(`::error::sigstore-ts could not ${attest ? 'attest' : 'sign'} the inputs (exit ${code}; see the log above)\n`);
    return code;
  }
  const trust = trustFor(env);
  const logUrls = new Map(trust.tlogs.map((l) => [l.logId.toString('base64'), l.baseUrl]));
  const signed: Signed[] = files.map((f) => {
    const bundle = `${f}.sigstore.json`;
    if (!existsSync(isAbsolute(bundle) ? bundle : join(cwd, bundle))) throw new ActionError(`no bundle was written for ${f}`);
    return describeBundle(f, isAbsolute(bundle) ? bundle : join(cwd, bundle), logUrls);
  });
  for (const s of signed) s.bundle = s.bundle.startsWith(`${cwd}/`) ? s.bundle.slice(cwd.length + 1) : s.bundle;

  let verified: boolean | undefined;
  if (verify) {
    const vcode = await cli('verify', ['identity', '--cert-identity', certIdentity, '--cert-oidc-issuer', oidcIssuer, ...instance, '--', ...files]);
    verified = vcode === 0;
  }
  const bundles = signed.map((s) => s.bundle).join('\n');
  setOutput(env.GITHUB_OUTPUT, 'bundles', bundles);
  setOutput(env.GITHUB_OUTPUT, 'signing-artifact-paths', bundles);
  appendSummary(env.GITHUB_STEP_SUMMARY, summaryMarkdown(signed, { attest, verified }));
  if (verified === false) {
    process.stdout.write('::error::sigstore-ts: the new bundles did not verify (see the log above)\n');
    return 1;
  }
  return 0;
}

/** Entry point of action/index.cjs. */
export async function actionMain(): Promise<void> {
  // Verification of many inputs stays on this thread: the single-file action has no worker file.
  process.env.SIGSTORE_THREADS = '1';
  let code: number;
  try {
    code = await runAction();
  } catch (e) {
    const msg = e instanceof ActionError || e instanceof SigstoreError ? e.message : `unexpected failure: ${(e as Error).message}`;
    process.stdout.write(`::error::${msg.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`);
    code = 1;
  }
  process.exitCode = code;
}
