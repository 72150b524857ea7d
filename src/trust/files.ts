/**
 * Trust material from explicit files: a TrustedRoot (`--trusted-root`) or a ClientTrustConfig
 * (`--trust-config`). Neither involves TUF or the network: what the file says is what is
 * trusted, and it is never stale.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { TrustError, UsageError } from '../errors.js';
import { isObject, type JsonObject, parseJson } from '../lib/json.js';
import { protoJsonNames } from './json-names.js';
import type { ActiveTrust } from './load.js';
import { parseTrustedRoot, type TrustMaterial } from './trusted-root.js';

/** Reads a file for trust purposes, turning I/O errors into one-line messages. */
/** The largest trust file read (a trusted root is tens of kilobytes): refused before reading. */
export const MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024;

export function readTrustFile(path: string, what: string): string {
  try {
    const fd = openSync(path, 'r');
    try {
      const st = fstatSync(fd);
      if (st.isFile() && st.size > MAX_TRUST_FILE_BYTES) {
        throw new TrustError('JSON_TOO_LARGE', `${what} ${path} is larger than ${MAX_TRUST_FILE_BYTES / 1024 / 1024} MiB`);
      }
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (e instanceof TrustError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError('TRUST_FILE_UNREADABLE', `cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}

export const CLIENT_TRUST_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json';

/**
 * Reads a ClientTrustConfig file: its media type is checked, both parts must be objects. Field
 * names may use either protobuf JSON spelling (`signingConfig` or `signing_config`).
 */
export function readTrustConfig(path: string): { trustedRoot: JsonObject; signingConfig: JsonObject } {
  const fail = (m: string): never => {
    throw new TrustError('TRUST_CONFIG_INVALID', `trust config ${path}: ${m}`);
  };
  const raw = parseJson(readTrustFile(path, 'trust config'), 'the trust config', fail);
  if (!isObject(raw)) return fail('not a JSON object');
  const json = protoJsonNames(raw, fail) as JsonObject;
  if (json.mediaType !== CLIENT_TRUST_CONFIG_MEDIA_TYPE) fail(`unsupported mediaType ${JSON.stringify(json.mediaType)} (expected ${CLIENT_TRUST_CONFIG_MEDIA_TYPE})`);
  if (!isObject(json.trustedRoot)) fail('trustedRoot is missing or not an object');
  if (!isObject(json.signingConfig)) fail('signingConfig is missing or not an object');
  return { trustedRoot: json.trustedRoot as JsonObject, signingConfig: json.signingConfig as JsonObject };
}

/** Reads the trusted root out of a ClientTrustConfig file. */
export function trustedRootFromConfig(path: string): TrustMaterial {
  return parseTrustedRoot(readTrustConfig(path).trustedRoot, `${path} (trustedRoot)`);
}

/** The active trust of a `--trusted-root` file. */
export function fromTrustedRootFile(path: string): ActiveTrust {
  const fail = (m: string): never => {
    throw new TrustError('TRUSTED_ROOT_INVALID', `trusted root ${path}: ${m}`);
  };
  // (field names in their lowerCamelCase spelling, whichever protobuf JSON spelling the file used)
  const json = protoJsonNames(parseJson(readTrustFile(path, 'trusted root'), 'the trusted root', fail), fail) as JsonObject;
  const trustMaterial = parseTrustedRoot(json, path, { origin: 'file', stale: false, expires: undefined });
  return {
    trustMaterial,
    trustedRootJson: json,
    signingConfigJson: undefined,
    origin: { kind: 'file', path, refreshed: false, stale: false, description: `trusted root file ${path}` },
  };
}

/** The active trust of a `--trust-config` file. */
export function fromTrustConfigFile(path: string): ActiveTrust {
  const cfg = readTrustConfig(path);
  return {
    trustMaterial: parseTrustedRoot(cfg.trustedRoot, `${path} (trustedRoot)`, { origin: 'trust-config', stale: false, expires: undefined }),
    trustedRootJson: cfg.trustedRoot,
    signingConfigJson: cfg.signingConfig,
    origin: { kind: 'trust-config', path, refreshed: false, stale: false, description: `client trust config ${path}` },
  };
}
