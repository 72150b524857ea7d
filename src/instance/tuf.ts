/**
 * The instance's TUF repository: root, targets, snapshot and timestamp metadata (signed with
 * Ed25519 keys, consistent snapshots) publishing `trusted_root.json` and
 * `signing_config.v0.2.json`, so clients bootstrap trust from the instance's root exactly as
 * they do from production (tuf-repo-cdn.sigstore.dev).
 *
 * Served under `/tuf/`: `N.root.json`, `timestamp.json`, `N.snapshot.json`, `N.targets.json`
 * (plus unversioned `root.json`, `snapshot.json`, `targets.json`) and
 * `targets/<sha256>.<name>` (plus `targets/<name>`).
 *
 * Every published version is kept under `<data-dir>/tuf/metadata`, so tests can replay old
 * versions (rollback), expire metadata, rotate keys and republish targets through the hooks.
 */
import { createHash, sign as nodeSign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize } from '@tufjs/canonical-json';
import { Key, MetaFile, Metadata, type MetadataKind, Root, Signature, Snapshot, TargetFile, Targets, Timestamp } from '@tufjs/models';
import { ed25519Raw, type KeyStore } from './keys.js';
import { writeFileDurable } from './util.js';

/**
 * A top-level TUF role of the instance's repository.
 *
 * @example
 * ```ts
 * import type { TufRole } from 'sigstore-ts/instance';
 * const expiring: TufRole[] = ['timestamp', 'snapshot'];
 * ```
 */
export type TufRole = 'root' | 'targets' | 'snapshot' | 'timestamp';
export const TUF_ROLES: TufRole[] = ['root', 'targets', 'snapshot', 'timestamp'];
const SPEC_VERSION = '1.0.31';

/** Default lifetimes, as the production repository uses roughly. */
export const DEFAULT_EXPIRY_DAYS: Record<TufRole, number> = { root: 365, targets: 180, snapshot: 21, timestamp: 7 };

interface RepoState {
  /** Key names (in the KeyStore) per role, current generation. */
  keys: Record<TufRole, string[]>;
  /** Key generation counter, for naming rotated keys. */
  generation: number;
}

type AnyMeta = Metadata<Root> | Metadata<Targets> | Metadata<Snapshot> | Metadata<Timestamp>;

function isoExpiry(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function daysFromNow(days: number): Date {
  return new Date(Date.now() + days * 86400_000);
}

function tufKey(key: KeyObject): Key {
  const pub = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: ed25519Raw(key).toString('hex') } };
  const keyID = createHash('sha256').update(canonicalize(pub)).digest('hex');
  return new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519', keyVal: pub.keyval });
}

/**
 * The instance's TUF repository (`SigstoreInstance.tuf`), with hooks for tests: serve an older or
 * altered metadata file in place of the current one, rotate keys, change expiry.
 *
 * @example
 * ```ts
 * import { startInstance } from 'sigstore-ts/instance';
 * const inst = await startInstance({ dataDir: '/tmp/sigstore-local', port: 0 });
 * inst.tuf.override('timestamp.json', inst.tuf.metadata('timestamp', 1)); // a rolled-back timestamp
 * ```
 */
export class TufRepo {
  private readonly metaDir: string;
  private readonly targetsDir: string;
  private state: RepoState;
  private root!: Metadata<Root>;
  private targets: Metadata<Targets> | undefined;
  private snapshot: Metadata<Snapshot> | undefined;
  private timestamp: Metadata<Timestamp> | undefined;
  /** Served bytes that replace what the repository would serve (tests: rollback, tampering). */
  private readonly overrides = new Map<string, Buffer>();

  private constructor(
    readonly dir: string,
    private readonly keys: KeyStore,
  ) {
    this.metaDir = join(dir, 'metadata');
    this.targetsDir = join(dir, 'targets');
    mkdirSync(this.metaDir, { recursive: true });
    mkdirSync(this.targetsDir, { recursive: true });
    const statePath = join(dir, 'state.json');
    if (existsSync(statePath)) this.state = JSON.parse(readFileSync(statePath, 'utf8')) as RepoState;
    else this.state = { keys: { root: ['tuf-root-1'], targets: ['tuf-targets-1'], snapshot: ['tuf-snapshot-1'], timestamp: ['tuf-timestamp-1'] }, generation: 1 };
  }

  /**
   * Opens the repository in `dir`, creating root version 1 (and the role keys) when new. The
   * first {@link TufRepo.publish} creates version 1 of targets, snapshot and timestamp.
   */
  static open(dir: string, keys: KeyStore): TufRepo {
    const repo = new TufRepo(dir, keys);
    const latest = (role: TufRole): number => {
      let max = 0;
      for (const f of readdirSync(repo.metaDir)) {
        const m = new RegExp(`^(\\d+)\\.${role}\\.json$`).exec(f);
        if (m) max = Math.max(max, Number(m[1]));
      }
      return max;
    };
    const load = <T extends AnyMeta>(role: TufRole): T | undefined => {
      const v = latest(role);
      if (v === 0) return undefined;
      return Metadata.fromJSON(role as MetadataKind.Root, JSON.parse(readFileSync(join(repo.metaDir, `${v}.${role}.json`), 'utf8'))) as unknown as T;
    };
    const root = load<Metadata<Root>>('root');
    if (root) {
      repo.root = root;
    } else {
      repo.saveState();
      const signed = new Root({ version: 1, specVersion: SPEC_VERSION, expires: isoExpiry(daysFromNow(DEFAULT_EXPIRY_DAYS.root)), consistentSnapshot: true });
      repo.installKeys(signed);
      repo.root = repo.sign(new Metadata(signed), 'root');
      repo.write(repo.root);
    }
    repo.targets = load('targets');
    repo.snapshot = load('snapshot');
    repo.timestamp = load('timestamp');
    return repo;
  }

  private saveState(): void {
    writeFileDurable(join(this.dir, 'state.json'), `${JSON.stringify(this.state, null, 2)}\n`);
  }

  private roleKeys(role: TufRole): KeyObject[] {
    return this.state.keys[role].map((n) => this.keys.get(n, 'ed25519'));
  }

  /** Puts the current keys of every role into `root` (replacing the old ones). */
  private installKeys(root: Root): void {
    for (const k of Object.keys(root.keys)) delete root.keys[k];
    for (const role of TUF_ROLES) {
      const r = root.roles[role];
      if (r) r.keyIDs.splice(0);
      for (const key of this.roleKeys(role)) root.addKey(tufKey(key), role);
    }
  }

  private sign<T extends AnyMeta>(md: T, role: TufRole, extraKeys: KeyObject[] = []): T {
    md.signatures = {};
    for (const key of [...this.roleKeys(role), ...extraKeys]) {
      const k = tufKey(key);
      md.sign((data) => new Signature({ keyID: k.keyID, sig: nodeSign(null, data, key).toString('hex') }), true);
    }
    return md;
  }

  private write(md: AnyMeta): void {
    const text = `${JSON.stringify(md.toJSON(), null, 2)}\n`;
    writeFileDurable(join(this.metaDir, `${md.signed.version}.${md.signed.type}.json`), text);
  }

  /**
   * Publishes new targets (if they differ from the current ones, or `force`), with new
   * targets, snapshot and timestamp versions. `expires` overrides the default lifetimes.
   */
  publish(files: Record<string, Buffer>, expires: Partial<Record<TufRole, Date>> = {}, force = false): boolean {
    const entries: Record<string, TargetFile> = {};
    for (const [name, data] of Object.entries(files)) {
      const sha = createHash('sha256').update(data).digest('hex');
      const path = join(this.targetsDir, `${sha}.${name}`);
      if (!existsSync(path)) writeFileDurable(path, data);
      entries[name] = new TargetFile({ length: data.length, path: name, hashes: { sha256: sha } });
    }
    const current = this.targets?.signed.targets;
    const same =
      current !== undefined &&
      Object.keys(entries).length === Object.keys(current).length &&
      Object.entries(entries).every(([n, t]) => current[n]?.hashes.sha256 === t.hashes.sha256);
    if (same && !force && !expires.targets) {
      this.refresh(expires);
      return false;
    }
    const targets = new Targets({
      version: (this.targets?.signed.version ?? 0) + 1,
      specVersion: SPEC_VERSION,
      expires: isoExpiry(expires.targets ?? daysFromNow(DEFAULT_EXPIRY_DAYS.targets)),
      targets: entries,
    });
    this.targets = this.sign(new Metadata(targets), 'targets');
    this.write(this.targets);
    this.newSnapshot(expires);
    return true;
  }

  /** Re-signs snapshot and timestamp when they expire within a day (or with new expiries). */
  private refresh(expires: Partial<Record<TufRole, Date>>): void {
    const soon = Date.now() + 86400_000;
    if (!this.snapshot || expires.snapshot || new Date(this.snapshot.signed.expires).getTime() < soon) this.newSnapshot(expires);
    else if (!this.timestamp || expires.timestamp || new Date(this.timestamp.signed.expires).getTime() < soon) this.newTimestamp(expires);
  }

  private newSnapshot(expires: Partial<Record<TufRole, Date>>): void {
    const snapshot = new Snapshot({
      version: (this.snapshot?.signed.version ?? 0) + 1,
      specVersion: SPEC_VERSION,
      expires: isoExpiry(expires.snapshot ?? daysFromNow(DEFAULT_EXPIRY_DAYS.snapshot)),
      meta: { 'targets.json': new MetaFile({ version: this.targets!.signed.version }) },
    });
    this.snapshot = this.sign(new Metadata(snapshot), 'snapshot');
    this.write(this.snapshot);
    this.newTimestamp(expires);
  }

  private newTimestamp(expires: Partial<Record<TufRole, Date>>): void {
    const snapBytes = this.metadata('snapshot');
    const timestamp = new Timestamp({
      version: (this.timestamp?.signed.version ?? 0) + 1,
      specVersion: SPEC_VERSION,
      expires: isoExpiry(expires.timestamp ?? daysFromNow(DEFAULT_EXPIRY_DAYS.timestamp)),
      snapshotMeta: new MetaFile({
        version: this.snapshot!.signed.version,
        length: snapBytes.length,
        hashes: { sha256: createHash('sha256').update(snapBytes).digest('hex') },
      }),
    });
    this.timestamp = this.sign(new Metadata(timestamp), 'timestamp');
    this.write(this.timestamp);
  }

  /**
   * Sets new expiry dates (past dates allowed): each given role gets a new version with that
   * expiry; snapshot and timestamp are re-signed as needed to stay consistent.
   */
  setExpiry(expires: Partial<Record<TufRole, Date>>): void {
    if (expires.root) this.newRoot(expires.root);
    if (expires.targets) {
      const t = this.targets!.signed;
      const targets = new Targets({ version: t.version + 1, specVersion: SPEC_VERSION, expires: isoExpiry(expires.targets), targets: t.targets });
      this.targets = this.sign(new Metadata(targets), 'targets');
      this.write(this.targets);
      this.newSnapshot(expires);
    } else if (expires.snapshot) {
      this.newSnapshot(expires);
    } else if (expires.timestamp) {
      this.newTimestamp(expires);
    }
  }

  /** Publishes root version N+1 (signed by the previous root keys and the current ones). */
  private newRoot(expires?: Date, previousRootKeys: KeyObject[] = []): void {
    const old = this.root.signed;
    const root = new Root({
      version: old.version + 1,
      specVersion: SPEC_VERSION,
      expires: isoExpiry(expires ?? daysFromNow(DEFAULT_EXPIRY_DAYS.root)),
      consistentSnapshot: true,
    });
    this.installKeys(root);
    this.root = this.sign(new Metadata(root), 'root', previousRootKeys);
    this.write(this.root);
  }

  /**
   * Rotates the keys of `roles`: new keys are generated, a new root version lists them (signed
   * by the old and the new root keys, as TUF requires for root rotation), and every role whose
   * key changed is re-signed with a new version.
   */
  rotateKeys(roles: TufRole[] = ['root', 'targets', 'snapshot', 'timestamp']): void {
    const previousRoot = this.roleKeys('root');
    this.state.generation++;
    for (const role of roles) this.state.keys[role] = [`tuf-${role}-${this.state.generation}`];
    this.saveState();
    this.newRoot(undefined, roles.includes('root') ? previousRoot : []);
    if (roles.includes('targets')) {
      const t = this.targets!.signed;
      this.targets = this.sign(new Metadata(new Targets({ version: t.version + 1, specVersion: SPEC_VERSION, expires: t.expires, targets: t.targets })), 'targets');
      this.write(this.targets);
      this.newSnapshot({});
    } else if (roles.includes('snapshot')) {
      this.newSnapshot({});
    } else if (roles.includes('timestamp')) {
      this.newTimestamp({});
    }
  }

  /** Current version of a role. */
  version(role: TufRole): number {
    return { root: this.root, targets: this.targets, snapshot: this.snapshot, timestamp: this.timestamp }[role]?.signed.version ?? 0;
  }

  /** The metadata of `role` (current version by default) as served. */
  metadata(role: TufRole, version?: number): Buffer {
    const v = version ?? this.version(role);
    const path = join(this.metaDir, `${v}.${role}.json`);
    if (!existsSync(path)) throw new Error(`no version ${v} of ${role}`);
    return readFileSync(path);
  }

  /** The current root metadata (what `root.json` in the data directory holds). */
  rootJson(): Buffer {
    return this.metadata('root');
  }

  /** Target file names and their current contents. */
  targetNames(): string[] {
    return Object.keys(this.targets?.signed.targets ?? {});
  }

  /**
   * Serves `path` (relative to /tuf/) with `data` instead of what the repository holds, or
   * stops doing so when `data` is undefined. For tests of rollback and tampering.
   */
  override(path: string, data: Buffer | string | undefined): void {
    if (data === undefined) this.overrides.delete(path);
    else this.overrides.set(path, Buffer.from(data));
  }

  /** Resolves a request path under /tuf/ to the bytes to serve. */
  serve(path: string): Buffer | undefined {
    const o = this.overrides.get(path);
    if (o) return o;
    for (const role of TUF_ROLES) {
      if (path === `${role}.json`) return this.metadata(role);
    }
    const m = /^(\d+)\.(root|snapshot|targets|timestamp)\.json$/.exec(path);
    if (m) {
      const file = join(this.metaDir, `${m[1]}.${m[2]}.json`);
      return existsSync(file) ? readFileSync(file) : undefined;
    }
    const t = /^targets\/(.+)$/.exec(path);
    if (t) {
      const name = t[1]!;
      if (name.includes('/') || name.includes('..')) return undefined;
      const hashed = /^([0-9a-f]{64})\.(.+)$/.exec(name);
      if (hashed) {
        const file = join(this.targetsDir, name);
        return existsSync(file) ? readFileSync(file) : undefined;
      }
      const info = this.targets?.signed.targets[name];
      if (!info) return undefined;
      const file = join(this.targetsDir, `${info.hashes.sha256}.${name}`);
      return existsSync(file) ? readFileSync(file) : undefined;
    }
    return undefined;
  }
}
