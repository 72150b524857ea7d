/**
 * The local instance's durable state (instance.json): its identity, keys' names, CA
 * certificates and log key periods; where its files live in the data directory; and the lock
 * that keeps two instances off one data directory.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SigstoreError } from '../errors.js';
import { type KeyStore, spki } from './keys.js';
import { authorityKeyIdExt, caCertificate, type DnSpec, extKeyUsageExt, issueCertificate, keyUsageExt, OIDS, randomSerial, subjectKeyIdExt } from './pki.js';
import { rfc3339 } from './util.js';

const ORG = 'sigstore-ts.local';
export const DN = {
  fulcioRoot: { organization: ORG, commonName: 'sigstore' },
  fulcioIntermediate: { organization: ORG, commonName: 'sigstore-intermediate' },
  tsaRoot: { organization: ORG, commonName: 'sigstore-tsa-selfsigned' },
  tsaLeaf: { organization: ORG, commonName: 'sigstore-tsa' },
} satisfies Record<string, DnSpec>;
const CA_YEARS = 10;

export interface PeriodState {
  key: string;
  baseUrl: string;
  start: string;
  end?: string;
}

export interface State {
  version: 1;
  created: string;
  identity: string;
  treeId: string;
  port: number | null;
  url: string | null;
  pid: number | null;
  fulcio: { root: string; intermediate: string };
  tsa: { root: string; leaf: string };
  ctlog: { key: string };
  rekorV1: PeriodState[];
  rekorV2: PeriodState[];
}

/** Paths of the files the instance writes into its data directory. */
export function instancePaths(dataDir: string) {
  return {
    state: join(dataDir, 'instance.json'),
    lock: join(dataDir, 'instance.lock'),
    keys: join(dataDir, 'keys'),
    logs: join(dataDir, 'logs'),
    tuf: join(dataDir, 'tuf'),
    trustConfig: join(dataDir, 'trust_config.json'),
    tufRoot: join(dataDir, 'root.json'),
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLock(path: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new SigstoreError('INSTANCE_RUNNING', `another instance (pid ${pid}) is using this data directory`);
      }
      if (pid === process.pid) throw new SigstoreError('INSTANCE_RUNNING', 'an instance in this process is already using this data directory');
      rmSync(path, { force: true }); // stale lock of a dead process (kill -9)
    }
  }
  throw new SigstoreError('INSTANCE_LOCK', `cannot lock ${path}`);
}

/** Creates the state of a new instance: keys, CA certificates, log key periods. */
export function initState(keys: KeyStore, identity: string): State {
  const now = Date.now();
  const created = new Date(Math.floor(now / 1000) * 1000 - 60_000);
  const notAfter = new Date(created.getTime() + CA_YEARS * 365 * 86400_000);
  const fRootKey = keys.get('fulcio-root', 'p384');
  const fIntKey = keys.get('fulcio-intermediate', 'p384');
  const fRoot = caCertificate({ subject: DN.fulcioRoot, issuer: DN.fulcioRoot, key: fRootKey, issuerKey: fRootKey, notBefore: created, notAfter, pathLen: 1 });
  const fInt = caCertificate({
    subject: DN.fulcioIntermediate,
    issuer: DN.fulcioRoot,
    key: fIntKey,
    issuerKey: fRootKey,
    notBefore: created,
    notAfter,
    pathLen: 0,
    eku: [OIDS.codeSigning],
  });
  const tRootKey = keys.get('tsa-root', 'p384');
  const tLeafKey = keys.get('tsa-leaf', 'p384');
  const tRoot = caCertificate({ subject: DN.tsaRoot, issuer: DN.tsaRoot, key: tRootKey, issuerKey: tRootKey, notBefore: created, notAfter, pathLen: 0 });
  const tLeaf = issueCertificate({
    serial: randomSerial(),
    subject: DN.tsaLeaf,
    issuer: DN.tsaRoot,
    notBefore: created,
    notAfter,
    spki: spki(tLeafKey),
    extensions: [keyUsageExt([0]), subjectKeyIdExt(spki(tLeafKey)), authorityKeyIdExt(spki(tRootKey)), extKeyUsageExt([OIDS.timeStamping], true)],
    signer: tRootKey,
  });
  keys.get('oidc', 'p256');
  keys.get('ctlog-1', 'p256');
  keys.get('rekor-v1-1', 'p256');
  keys.get('rekor-v2-1', 'ed25519');
  const treeId = (BigInt(`0x${randomBytes(8).toString('hex')}`) & 0x7fffffffffffffffn).toString();
  return {
    version: 1,
    created: rfc3339(created),
    identity,
    treeId,
    port: null,
    url: null,
    pid: null,
    fulcio: { root: fRoot.toString('base64'), intermediate: fInt.toString('base64') },
    tsa: { root: tRoot.toString('base64'), leaf: tLeaf.toString('base64') },
    ctlog: { key: 'ctlog-1' },
    rekorV1: [{ key: 'rekor-v1-1', baseUrl: '', start: rfc3339(created) }],
    rekorV2: [{ key: 'rekor-v2-1', baseUrl: '', start: rfc3339(created) }],
  };
}

/** Starts a period for `baseUrl` if the log's URL changed (port change): checkpoint names follow the URL. */
export function followUrl(list: PeriodState[], baseUrl: string): void {
  const current = list[list.length - 1]!;
  if (current.baseUrl === '') {
    current.baseUrl = baseUrl;
    return;
  }
  if (current.baseUrl === baseUrl) return;
  const now = rfc3339(new Date());
  current.end = now;
  list.push({ key: current.key, baseUrl, start: now });
}

