/**
 * Rekor v2 (the rekor-tiles API).
 *
 * - `POST /api/v2/log/entries`: a CreateEntryRequest ({"hashedRekordRequestV002": ...}; as
 *   rekor-tiles today, `dsseRequestV002` and pure Ed25519 are refused with 400, and only the
 *   algorithms rekor-tiles allows are accepted); answers a TransparencyLogEntry in protobuf JSON
 *   with an inclusion proof and a signed checkpoint (no SET, integratedTime 0). Resubmitting an
 *   entry returns the existing one.
 * - `GET /api/v2/checkpoint`: the latest C2SP checkpoint (signed note, Ed25519)
 * - `GET /api/v2/tile/{L}/{N}[.p/{W}]`, `GET /api/v2/tile/entries/{N}[.p/{W}]`: C2SP tlog-tiles
 *
 * The checkpoint origin is the log's URL without scheme (e.g. "127.0.0.1:3000"), the key ID is
 * SHA-256(origin || 0x0A || 0x01 || Ed25519 public key), and the log ID in entries (and in the
 * trusted root) is that full key ID.
 */
import type { KeyObject } from 'node:crypto';
import { validateV2 } from './entries.js';
import { leafHash } from './merkle.js';
import { checkpointBody, ed25519NoteKeyId, signNote } from './note.js';
import { type Appended, DuplicateEntryError, VerifiableLog } from './tlog.js';
import { canonicalJson, HttpError } from './util.js';

const TILE_WIDTH = 256;

/** Parses a tlog-tiles index path ("x001/x234/067") into a number. */
export function parseTileIndex(path: string): number {
  const parts = path.split('/');
  if (parts.length === 0) throw new HttpError(404, 'empty tile index');
  let n = 0;
  for (const [i, p] of parts.entries()) {
    const last = i === parts.length - 1;
    const m = last ? /^(\d{3})$/.exec(p) : /^x(\d{3})$/.exec(p);
    if (!m) throw new HttpError(404, `malformed tile index ${JSON.stringify(path)}`);
    n = n * 1000 + Number(m[1]);
  }
  if (!Number.isSafeInteger(n)) throw new HttpError(404, 'tile index out of range');
  return n;
}

/** Encodes a tile index as a tlog-tiles path. */
export function tileIndexPath(n: number): string {
  const groups: string[] = [];
  let v = n;
  do {
    groups.unshift(String(v % 1000).padStart(3, '0'));
    v = Math.floor(v / 1000);
  } while (v > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

export class RekorV2 {
  private key!: KeyObject;
  private keyIdValue!: Buffer;

  private constructor(
    readonly log: VerifiableLog<Buffer>,
    /** Checkpoint origin and key name, e.g. "127.0.0.1:3000". */
    readonly origin: string,
    key: KeyObject,
  ) {
    this.setKey(key);
  }

  static async open(path: string, opts: { key: KeyObject; origin: string }): Promise<RekorV2> {
    let self: RekorV2 | undefined;
    const log = await VerifiableLog.open<Buffer>(
      path,
      { encode: (b) => b, decode: (r) => r, leaf: (b) => leafHash(b) },
      (size, root) => self!.signCheckpoint(size, root),
    );
    self = new RekorV2(log, opts.origin, opts.key);
    return self;
  }

  setKey(key: KeyObject): void {
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('the Rekor v2 key must be Ed25519');
    this.key = key;
    this.keyIdValue = ed25519NoteKeyId(this.origin, key);
    this.log.resign();
  }

  /** The full C2SP checkpoint key ID: the log ID of this log. */
  get keyId(): Buffer {
    return this.keyIdValue;
  }

  private signCheckpoint(size: number, root: Buffer): string {
    return signNote(checkpointBody(this.origin, size, root), { name: this.origin, hint: this.keyIdValue.subarray(0, 4), key: this.key });
  }

  /** POST /api/v2/log/entries */
  async create(request: unknown): Promise<Record<string, unknown>> {
    const v = await validateV2(request);
    const body = Buffer.from(await canonicalJson(v.body), 'utf8');
    const leaf = leafHash(body);
    let appended: Appended<Buffer>;
    try {
      appended = await this.log.add(leaf, () => body);
    } catch (e) {
      if (e instanceof DuplicateEntryError) return this.entryJson(e.index, v.kind, v.apiVersion);
      throw e;
    }
    return this.entryJson(appended.index, v.kind, v.apiVersion, appended.size, appended.checkpoint);
  }

  /** A TransparencyLogEntry (protobuf JSON) for the entry at `index`. */
  entryJson(index: number, kind: string, version: string, size = this.log.size, checkpoint = this.log.checkpoint()): Record<string, unknown> {
    return {
      logIndex: String(index),
      logId: { keyId: this.keyIdValue.toString('base64') },
      kindVersion: { kind, version },
      inclusionProof: {
        logIndex: String(index),
        rootHash: this.log.tree.root(size).toString('base64'),
        treeSize: String(size),
        hashes: this.log.tree.inclusionProof(index, size).map((h) => h.toString('base64')),
        checkpoint: { envelope: checkpoint },
      },
      canonicalizedBody: this.log.entries[index]!.toString('base64'),
    };
  }

  /** GET /api/v2/checkpoint */
  checkpoint(): string {
    return this.log.checkpoint();
  }

  /** GET /api/v2/tile/{L}/{N}[.p/{W}] */
  tile(level: number, indexPath: string): Buffer {
    const { index, width } = this.parseTilePath(indexPath);
    const treeLevel = level * 8;
    const available = this.log.tree.completeAt(treeLevel, this.log.size) - index * TILE_WIDTH;
    const want = width ?? TILE_WIDTH;
    if (available < want) throw new HttpError(404, `tile ${level}/${indexPath} is not available`);
    const out = Buffer.alloc(32 * want);
    for (let i = 0; i < want; i++) this.log.tree.node(treeLevel, index * TILE_WIDTH + i).copy(out, 32 * i);
    return out;
  }

  /** GET /api/v2/tile/entries/{N}[.p/{W}] */
  entryBundle(indexPath: string): Buffer {
    const { index, width } = this.parseTilePath(indexPath);
    const available = this.log.size - index * TILE_WIDTH;
    const want = width ?? TILE_WIDTH;
    if (available < want) throw new HttpError(404, `entry bundle ${indexPath} is not available`);
    const parts: Buffer[] = [];
    for (let i = 0; i < want; i++) {
      const e = this.log.entries[index * TILE_WIDTH + i]!;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(e.length);
      parts.push(len, e);
    }
    return Buffer.concat(parts);
  }

  private parseTilePath(p: string): { index: number; width: number | undefined } {
    const m = /^(.*?)(?:\.p\/(\d+))?$/.exec(p)!;
    const index = parseTileIndex(m[1]!);
    let width: number | undefined;
    if (m[2] !== undefined) {
      width = Number(m[2]);
      if (width < 1 || width >= TILE_WIDTH) throw new HttpError(404, `partial tile width must be 1..255, not ${m[2]}`);
    }
    return { index, width };
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}
