/**
 * What `sigstore verify` reads before any check: each FILE_OR_DIGEST argument, where its bundle
 * (or detached signature and certificate) is, and a bundle file's text, with sigstore-python's
 * rules for default names and one-line refusals for everything that cannot work.
 */
import { existsSync } from 'node:fs';
import { BundleError } from '../errors.js';
import { writeStderr } from '../lib/stdio.js';
import type { Artifact } from '../verify/types.js';
import { usage } from './args.js';
import { readDocumentOr, requireRegularFile } from './input.js';

/** One input to verify: the artifact and where its bundle (or detached material) is. */
export interface Input {
  label: string;
  artifact: Artifact;
  bundlePath: string;
  /** With detached verification: the input's signature and certificate. */
  detached?: { certPath: string; sigPath: string };
}

const DIGEST_RE = /^sha256:([0-9a-fA-F]{64})$/;

/** The artifact an argument names: an existing file, else a `sha256:` digest. */
function artifactOf(p: string, explicitBundle: boolean): Artifact {
  if (existsSync(p)) {
    requireRegularFile(p, 'input');
    return { path: p };
  }
  if (p.startsWith('sha256:')) {
    const m = p.match(DIGEST_RE);
    if (!m) usage(`malformed digest ${p}: a digest is sha256: followed by 64 hex digits`);
    if (!explicitBundle) usage(`a digest input (${p}) needs --bundle`);
    return { digest: { algorithm: 'sha256', value: Buffer.from(m[1]!, 'hex') } };
  }
  requireRegularFile(p, 'input');
  return { path: p };
}

/**
 * The default bundle of an input, as sigstore-python finds it: FILE.sigstore.json, else the
 * deprecated FILE.sigstore (with a note); both present is a conflict (exit 2).
 */
function defaultBundle(p: string): string {
  const modern = `${p}.sigstore.json`;
  const legacy = `${p}.sigstore`;
  const hasModern = existsSync(modern);
  const hasLegacy = existsSync(legacy);
  if (hasModern && hasLegacy) usage(`conflicting inputs: ${modern} and ${legacy}; give the one to use with --bundle`);
  if (hasModern) return modern;
  if (hasLegacy) {
    writeStderr(`note: ${p}: ${legacy} should be renamed to ${modern}; finding bare .sigstore bundles is deprecated\n`);
    return legacy;
  }
  return usage(`no bundle found for ${p} (looked for ${modern} and ${legacy}); give one with --bundle`);
}

/**
 * Resolves FILE_OR_DIGEST arguments and their bundles, refusing bad inputs before any work.
 * With detached verification (`detached` given: the paths of --certificate and --signature, either
 * may be missing), the missing one defaults to FILE.crt or FILE.sig, as sigstore-python does.
 */
export function resolveInputs(positionals: string[], bundleFlag: string | undefined, detached?: { certPath?: string; sigPath?: string }): Input[] {
  if (positionals.length === 0) usage('at least one FILE_OR_DIGEST is required');
  if ((bundleFlag || detached) && positionals.length > 1) {
    usage(`${bundleFlag ? '--bundle' : '--certificate/--signature'} can only be used with a single input`);
  }
  const dup = positionals.find((p, i) => positionals.indexOf(p) !== i);
  if (dup !== undefined) usage(`input ${dup} is given more than once`);
  return positionals.map((p) => {
    const artifact = artifactOf(p, bundleFlag !== undefined || detached !== undefined);
    if (detached) {
      if ('digest' in artifact && (!detached.certPath || !detached.sigPath)) usage(`a digest input (${p}) needs both --certificate and --signature`);
      const certPath = detached.certPath ?? `${p}.crt`;
      const sigPath = detached.sigPath ?? `${p}.sig`;
      const missing = [certPath, sigPath].filter((f) => !existsSync(f));
      if (missing.length > 0) usage(`missing verification materials for ${p}: ${missing.join(', ')}`);
      return { label: p, artifact, bundlePath: certPath, detached: { certPath, sigPath } };
    }
    return { label: p, artifact, bundlePath: bundleFlag ?? defaultBundle(p) };
  });
}

/**
 * Reads a bundle file's text, refusing what cannot be a bundle (UsageError BUNDLE_UNREADABLE), and
 * what is recognisably something else (a detached signature, a PEM certificate, a PEP 740
 * attestation) with a BundleError that says what to pass instead.
 */
export function readBundleText(path: string): string {
  const text = readDocumentOr(path, 'BUNDLE_UNREADABLE', 'bundle').toString('utf8');
  const head = text.trimStart();
  if (head.startsWith('-----BEGIN CERTIFICATE-----')) {
    throw new BundleError('BUNDLE_IS_CERTIFICATE', `${path} is a PEM certificate, not a Sigstore bundle: pass it with --certificate (and the signature with --signature)`);
  }
  if (!head.startsWith('{') && /^[A-Za-z0-9+/=\s]+$/.test(head) && head.length > 0) {
    throw new BundleError('BUNDLE_IS_SIGNATURE', `${path} looks like a detached base64 signature, not a Sigstore bundle: pass it with --signature (and the certificate with --certificate)`);
  }
  // (The substring test first: it spares a bundle compiling the regular expressions.)
  if (head.startsWith('{') && text.includes('"verification_material"') && /"verification_material"\s*:/.test(text.slice(0, 4096)) && /"envelope"\s*:/.test(text)) {
    throw new BundleError('BUNDLE_IS_ATTESTATION', `${path} is a PEP 740 attestation, not a Sigstore bundle: verify it with 'sigstore attestation verify', or convert it with 'sigstore attestation convert'`);
  }
  return text;
}
