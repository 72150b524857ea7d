
import { existsSync, mkdirSync, readFileSync, rmSync, } from 'node:fs';
import { join } from 'node:path';
import { SigstoreError } from '../errors.js';
import { CtLog } from './ctlog.js';
import { Fulcio } from './fulcio.js';
import { DEFAULT_IDENTITY, parseIdentity } from './identity.js';
import { KeyStore, } from './keys.js';
import { type MintOptions, OidcProvider } from './oidc.js';
import { RekorV1 } from './rekor-v1.js';
import { RekorV2 } from './rekor-v2.js';
import { type Listening, listen, type Router, } from './server.js';
import { buildClientTrustConfig, buildSigningConfig, buildTrustedRoot, type LogPeriod, originOf } from './trust.js';
import { Tsa } from './tsa.js';
import { type TufRole, TufRepo } from './tuf.js';
import { rfc3339, writeFileDurable } from './util.js';
import { acquireLock, DN, followUrl, initState, instancePaths, type PeriodState, type State } from './state.js';
import { instanceRoutes } from './routes.js';

export { instancePaths } from './state.js';

export const HOST = '127.0.0.1';

/** Options of {@link startInstance}. */
export interface InstanceOptions {
  /** Where keys, logs and the TUF repository live; created if missing. */
  dataDir: string;
  /**
   * Port on 127.0.0.1. 0 picks a free port. By default the port the instance used last time
   * (so its URLs, and the trust material naming them, stay the same), else a free one.
   */
  port?: number;
  /** The identity tokens are issued for: an email address or a URI (default: the last one, or signer@example.com). */
  identity?: string;
  /** Receives one line per request and diagnostics. */
  log?: (line: string) => void;
  /**
   * Publish Rekor v2 in the signing config at `<url><path>` (e.g. `/global-rekor`): a signing
   * URL that differs from the log's `baseUrl` in the trusted root, as staging signs at
   * `global.rekor.sigstage.dev` a log its trusted root names `log2026-1.us-east4...`. Clients
   * must find the log by its key, never by URL. Default: the log's `baseUrl`.
   */
  rekorV2SigningPath?: string;
}

/**
 * A running local Sigstore instance. Obtain one with {@link startInstance}.
 *
 * @example
 * ```ts
 * const inst = await startInstance({ dataDir, port: 0 });
 * const bundle = await sigstore.sign(data, { fulcioURL: inst.url, rekorURL: inst.url, tsaServerURL: inst.url, identityToken: await inst.token() });
 * await sigstore.verify(bundle, data, { tufMirrorURL: inst.tufUrl, tufRootPath: inst.files.tufRoot, tufCachePath });
 * inst.rotateRekorKey();                                   // Rekor v1 key rotation, TUF republished
 * inst.republish({ timestamp: new Date(Date.now() - 1) }); // expired timestamp.json
 * inst.tuf.override('timestamp.json', inst.tuf.metadata('timestamp', 1)); // serve a rolled-back version
 * await inst.stop();
 * ```
 */
export class SigstoreInstance {
  /** Base URL, e.g. `http://127.0.0.1:41234`: Fulcio, Rekor v1 and v2, TSA live here. */
  readonly url: string;
  /** OIDC issuer URL (`<url>/oauth2`). */
  readonly issuer: string;
  /** TUF repository URL (`<url>/tuf`): the mirror to bootstrap trust from. */
  readonly tufUrl: string;
  /** Where the signing config sends Rekor v2 entries (the log's `baseUrl`, unless `rekorV2SigningPath` was given). */
  readonly rekorV2SigningUrl: string;
  private readonly rekorV2SigningPath: string | undefined;
  /** RFC 3161 endpoint (`<url>/api/v1/timestamp`). */
  readonly tsaUrl: string;
  /** CT log URL (`<url>/ct`). */
  readonly ctUrl: string;
  readonly dataDir: string;
  readonly port: number;
  /** The TUF repository, with hooks for tests (expiry, key rotation, rollback via overrides). */
  readonly tuf: TufRepo;
  readonly oidc: OidcProvider;
  readonly fulcio: Fulcio;
  readonly ctlog: CtLog;
  readonly rekorV1: RekorV1;
  readonly rekorV2: RekorV2;
  readonly tsa: Tsa;
  private trust!: { trustedRoot: Record<string, unknown>; signingConfig: Record<string, unknown> };
  private stopped = false;

  /** @internal */
  constructor(
    private readonly state: State,
    private readonly keys: KeyStore,
    private readonly listening: Listening,
    parts: { tuf: TufRepo; oidc: OidcProvider; fulcio: Fulcio; ctlog: CtLog; rekorV1: RekorV1; rekorV2: RekorV2; tsa: Tsa; dataDir: string; rekorV2SigningPath?: string },
  ) {
    this.port = listening.port;
    this.url = `http://${HOST}:${this.port}`;
    this.rekorV2SigningPath = parts.rekorV2SigningPath?.replace(/\/+$/, '') || undefined;
    this.rekorV2SigningUrl = `${this.url}${this.rekorV2SigningPath ?? ''}`;
    this.issuer = `${this.url}/oauth2`;
    this.tufUrl = `${this.url}/tuf`;
    this.tsaUrl = `${this.url}/api/v1/timestamp`;
    this.ctUrl = `${this.url}/ct`;
    this.dataDir = parts.dataDir;
    this.tuf = parts.tuf;
    this.oidc = parts.oidc;
    this.fulcio = parts.fulcio;
    this.ctlog = parts.ctlog;
    this.rekorV1 = parts.rekorV1;
    this.rekorV2 = parts.rekorV2;
    this.tsa = parts.tsa;
  }

  /** The identity tokens are issued for by default. */
  get identity(): string {
    return this.state.identity;
  }

  /** This instance's trusted root (protobuf-specs JSON). */
  get trustedRoot(): Record<string, unknown> {
    return structuredClone(this.trust.trustedRoot);
  }

  /** This instance's signing config v0.2 (protobuf-specs JSON). */
  get signingConfig(): Record<string, unknown> {
    return structuredClone(this.trust.signingConfig);
  }

  /** The ClientTrustConfig (what `trust_config.json` holds, usable with `--trust-config`). */
  get trustConfig(): Record<string, unknown> {
    return buildClientTrustConfig(this.trustedRoot, this.signingConfig);
  }

  /** The current TUF root metadata (what `root.json` holds). */
  get tufRoot(): Record<string, unknown> {
    return JSON.parse(this.tuf.rootJson().toString('utf8')) as Record<string, unknown>;
  }

  /** Paths of `trust_config.json` and `root.json` in the data directory. */
  get files(): { trustConfig: string; tufRoot: string } {
    const p = instancePaths(this.dataDir);
    return { trustConfig: p.trustConfig, tufRoot: p.tufRoot };
  }

  /** A fresh ID token from the instance's OIDC provider (in-process; no HTTP). */
  token(opts: MintOptions = {}): Promise<string> {
    return this.oidc.mint(opts);
  }

  /** Key periods of both Rekor logs, as the trusted root lists them. */
  private periods(list: PeriodState[]): LogPeriod[] {
    return list.map((p) => ({
      baseUrl: p.baseUrl,
      key: this.keys.get(p.key, list === this.state.rekorV2 ? 'ed25519' : 'p256'),
      start: new Date(p.start),
      ...(p.end ? { end: new Date(p.end) } : {}),
    }));
  }

  /** Rebuilds the trust material from the state (and republishes it over TUF when it changed). */
  refreshTrust(force = false, expires: Partial<Record<TufRole, Date>> = {}): void {
    const start = new Date(this.state.created);
    const trustedRoot = buildTrustedRoot({
      url: this.url,
      issuer: this.issuer,
      start,
      fulcioChain: [Buffer.from(this.state.fulcio.intermediate, 'base64'), Buffer.from(this.state.fulcio.root, 'base64')],
      fulcioSubject: DN.fulcioRoot,
      tsaChain: [Buffer.from(this.state.tsa.leaf, 'base64'), Buffer.from(this.state.tsa.root, 'base64')],
      tsaSubject: DN.tsaRoot,
      ctlog: { baseUrl: this.ctUrl, key: this.keys.get(this.state.ctlog.key, 'p256'), start },
      rekorV1: this.periods(this.state.rekorV1),
      rekorV2: this.periods(this.state.rekorV2),
    });
    const signingConfig = buildSigningConfig({ url: this.url, issuer: this.issuer, start, rekorV2Url: this.rekorV2SigningUrl });
    this.trust = { trustedRoot, signingConfig };
    this.tuf.publish(
      {
        'trusted_root.json': Buffer.from(`${JSON.stringify(trustedRoot, null, 2)}\n`),
        'signing_config.v0.2.json': Buffer.from(`${JSON.stringify(signingConfig, null, 2)}\n`),
      },
      expires,
      force,
    );
  }

  /** Writes `trust_config.json` and `root.json` into the data directory. */
  writeTrustFiles(): void {
    const p = instancePaths(this.dataDir);
    writeFileDurable(p.trustConfig, `${JSON.stringify(this.trustConfig, null, 2)}\n`);
    writeFileDurable(p.tufRoot, this.tuf.rootJson());
  }

  /** @internal */
  saveState(): void {
    writeFileDurable(instancePaths(this.dataDir).state, `${JSON.stringify(this.state, null, 2)}\n`);
  }

  /**
   * Rotates a Rekor log key: the log keeps its entries and tree, signs from now on with a new
   * key; the trusted root ends the old key's validity now and lists the new key from now; the
   * TUF targets are republished (new targets, snapshot and timestamp versions) and
   * `trust_config.json` is rewritten. Returns the new log ID (base64).
   */
  rotateRekorKey(opts: { version?: 1 | 2 } = {}): string {
    const version = opts.version ?? 1;
    const list = version === 1 ? this.state.rekorV1 : this.state.rekorV2;
    const now = rfc3339(new Date());
    const current = list[list.length - 1]!;
    current.end = now;
    const name = `rekor-v${version}-${list.length + 1}`;
    const key = this.keys.get(name, version === 1 ? 'p256' : 'ed25519');
    list.push({ key: name, baseUrl: current.baseUrl, start: now });
    this.saveState();
    if (version === 1) this.rekorV1.setKey(key);
    else this.rekorV2.setKey(key);
    this.refreshTrust();
    this.writeTrustFiles();
    return (version === 1 ? this.rekorV1.logId : this.rekorV2.keyId).toString('base64');
  }

  /**
   * Republishes the trust material as new TUF targets/snapshot/timestamp versions, optionally
   * with given expiry dates (past dates allowed, to test expiry handling).
   */
  republish(expires: Partial<Record<TufRole, Date>> = {}): void {
    this.refreshTrust(true, expires);
    this.writeTrustFiles();
  }

  /**
   * Rotates TUF signing keys (all four roles by default): root version N+1 lists the new keys,
   * signed by the old and new root keys; the roles whose keys changed get new versions; `root.json`
   * in the data directory is rewritten.
   */
  rotateTufKeys(roles: TufRole[] = ['root', 'targets', 'snapshot', 'timestamp']): void {
    this.tuf.rotateKeys(roles);
    this.writeTrustFiles();
  }

  /** Stops serving, closes the logs and releases the data directory. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.listening.close();
    await Promise.all([this.rekorV1.close(), this.rekorV2.close(), this.ctlog.close()]);
    this.state.pid = null;
    this.saveState();
    rmSync(instancePaths(this.dataDir).lock, { force: true });
  }
}

/**
 * Starts a local Sigstore instance on 127.0.0.1 and resolves once every service answers (and
 * `trust_config.json` and `root.json` are written into the data directory). See
 * {@link SigstoreInstance} for what it offers. Stop it with `stop()`. A data directory is used by
 * one instance at a time; a restart on the same directory reopens the same keys and logs (and, by
 * default, the same port).
 *
 * @example
 * ```ts
 * const inst = await startInstance({ dataDir: mkdtempSync(join(tmpdir(), 'sigstore-')), port: 0, identity: 'me@example.com' });
 * console.log(inst.url, inst.issuer, inst.tufUrl);
 * const token = await inst.token({ ttl: 60 });
 * await inst.stop();
 * ```
 */
export async function startInstance(opts: InstanceOptions): Promise<SigstoreInstance> {
  const log = opts.log ?? (() => {});
  const paths = instancePaths(opts.dataDir);
  mkdirSync(opts.dataDir, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  acquireLock(paths.lock);
  let listening: Listening | undefined;
  const opened: { close(): Promise<void> }[] = [];
  try {
    if (opts.identity !== undefined) parseIdentity(opts.identity);
    const keys = new KeyStore(paths.keys);
    let state: State;
    if (existsSync(paths.state)) {
      state = JSON.parse(readFileSync(paths.state, 'utf8')) as State;
      if (state.version !== 1) throw new SigstoreError('INSTANCE_STATE', `unsupported instance state version ${state.version} in ${paths.state}`);
    } else {
      state = initState(keys, opts.identity ?? DEFAULT_IDENTITY);
    }
    if (opts.identity !== undefined) state.identity = opts.identity;

    let router: Router | undefined;
    const serverOpts = { host: HOST, log: (l: string) => log(l), onError: (e: unknown) => log(`error: ${(e as Error)?.stack ?? String(e)}`) };
    const wanted = opts.port ?? state.port ?? 0;
    try {
      listening = await listen({ ...serverOpts, port: wanted }, () => router);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' && opts.port === undefined && wanted !== 0) {
        log(`warning: port ${wanted} is in use; using a free port (the instance's URLs, and its trust material, change)`);
        listening = await listen({ ...serverOpts, port: 0 }, () => router);
      } else if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new SigstoreError('INSTANCE_PORT', `port ${wanted} on ${HOST} is already in use`);
      } else {
        throw e;
      }
    }
    const url = `http://${HOST}:${listening.port}`;
    const hostname = originOf(url);
    followUrl(state.rekorV1, url);
    followUrl(state.rekorV2, url);
    state.port = listening.port;
    state.url = url;
    state.pid = process.pid;

    const v1 = state.rekorV1[state.rekorV1.length - 1]!;
    const v2 = state.rekorV2[state.rekorV2.length - 1]!;
    const ctlog = await CtLog.open(join(paths.logs, 'ctlog.log'), keys.get(state.ctlog.key, 'p256'));
    opened.push(ctlog);
    const rekorV1 = await RekorV1.open(join(paths.logs, 'rekor-v1.log'), { key: keys.get(v1.key, 'p256'), treeId: state.treeId, hostname });
    opened.push(rekorV1);
    const rekorV2 = await RekorV2.open(join(paths.logs, 'rekor-v2.log'), { key: keys.get(v2.key, 'ed25519'), origin: originOf(v2.baseUrl) });
    opened.push(rekorV2);
    const oidc = new OidcProvider(keys.get('oidc', 'p256'), `${url}/oauth2`, state.identity);
    const fulcioRoot = Buffer.from(state.fulcio.root, 'base64');
    const fulcioInt = Buffer.from(state.fulcio.intermediate, 'base64');
    const fulcio = new Fulcio({
      root: fulcioRoot,
      intermediate: fulcioInt,
      intermediateKey: keys.get('fulcio-intermediate', 'p384'),
      intermediateDn: DN.fulcioIntermediate,
      ctlog,
      oidc,
    });
    const tsa = new Tsa([Buffer.from(state.tsa.leaf, 'base64'), Buffer.from(state.tsa.root, 'base64')], keys.get('tsa-leaf', 'p384'));
    const tuf = TufRepo.open(paths.tuf, keys);
    const inst = new SigstoreInstance(state, keys, listening, {
      tuf,
      oidc,
      fulcio,
      ctlog,
      rekorV1,
      rekorV2,
      tsa,
      dataDir: opts.dataDir,
      ...(opts.rekorV2SigningPath ? { rekorV2SigningPath: opts.rekorV2SigningPath } : {}),
    });
    inst.saveState();
    inst.refreshTrust();
    router = instanceRoutes(inst);

    await selfCheck(inst);
    inst.writeTrustFiles();
    log(`serving on ${url} (Rekor v1 ${rekorV1.log.size} entries, Rekor v2 ${rekorV2.log.size} entries)`);
    return inst;
  } catch (e) {
    await listening?.close();
    for (const o of opened) await o.close().catch(() => {});
    rmSync(paths.lock, { force: true });
    throw e;
  }
}

/** Asks every service over HTTP whether it answers (the instance is "up" only then). */
async function selfCheck(inst: SigstoreInstance): Promise<void> {
  const urls = [
    `${inst.issuer}/.well-known/openid-configuration`,
    `${inst.issuer}/keys`,
    `${inst.url}/api/v2/configuration`,
    `${inst.url}/api/v2/trustBundle`,
    `${inst.url}/api/v1/log`,
    `${inst.url}/api/v2/checkpoint`,
    `${inst.ctUrl}/v1/get-sth`,
    `${inst.tsaUrl}/certchain`,
    `${inst.tufUrl}/timestamp.json`,
    `${inst.tufUrl}/1.root.json`,
  ];
  for (const u of urls) {
    const res = await fetch(u);
    await res.arrayBuffer();
    if (!res.ok) throw new SigstoreError('INSTANCE_START', `self-check failed: GET ${u} answered ${res.status}`);
  }
}

