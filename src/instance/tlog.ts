/**
 * A durable, verifiable append-only log: the record file ({@link AppendLog}) plus the Merkle tree
 * ({@link MerkleTree}) over the entries' leaf hashes, with duplicate detection and signed
 * checkpoints. Shared by Rekor v1, Rekor v2 and the CT log.
 *
 * Appends are group-committed: entries that arrive while a batch is being written form the next
 * batch, which costs one write and one fsync. An entry joins the tree (and any checkpoint) only
 * after its record is durable, so no checkpoint ever covers an entry a crash could lose.
 */
import { AppendLog } from './store.js';
import { MerkleTree } from './merkle.js';

export interface LogCodec<T> {
  encode(entry: T): Buffer;
  decode(record: Buffer, index: number): T;
  /** The RFC 6962 leaf hash of the entry. */
  leaf(entry: T): Buffer;
}

/** An entry with the same leaf (the same canonical body) is already in the log. */
export class DuplicateEntryError extends Error {
  constructor(readonly index: number) {
    super(`an equivalent entry already exists in the log at index ${index}`);
  }
}

export interface Appended<T> {
  index: number;
  entry: T;
  /** Tree size right after the batch holding the entry was committed. */
  size: number;
  /** Signed checkpoint for `size`. */
  checkpoint: string;
}

interface Pending<T> {
  entry: T;
  leaf: Buffer;
  resolve: (a: Appended<T>) => void;
  reject: (e: unknown) => void;
}

export class VerifiableLog<T> {
  readonly tree = new MerkleTree();
  readonly entries: T[] = [];
  private readonly byLeaf = new Map<string, number>();
  private pending: Pending<T>[] = [];
  private committing = false;
  private nextIndex: number;
  private failed: unknown;
  private cached: { size: number; note: string } | undefined;
  private waiters: { index: number; resolve: () => void; reject: (e: unknown) => void }[] = [];

  private constructor(
    private readonly store: AppendLog,
    private readonly codec: LogCodec<T>,
    private readonly signer: (size: number, root: Buffer) => string,
  ) {
    this.nextIndex = 0;
  }

  /** Opens the log at `path`, replaying its records into the tree. */
  static async open<T>(path: string, codec: LogCodec<T>, signer: (size: number, root: Buffer) => string): Promise<VerifiableLog<T>> {
    const { log, records } = await AppendLog.open(path);
    const v = new VerifiableLog<T>(log, codec, signer);
    for (const [i, rec] of records.entries()) {
      const entry = codec.decode(rec, i);
      const leaf = codec.leaf(entry);
      v.tree.append(leaf);
      v.entries.push(entry);
      v.byLeaf.set(leaf.toString('hex'), i);
    }
    v.nextIndex = records.length;
    return v;
  }

  /** Number of committed entries. */
  get size(): number {
    return this.tree.size;
  }

  /** Index of the entry (committed or being committed) with this leaf hash. */
  indexOfLeaf(leaf: Buffer): number | undefined {
    return this.byLeaf.get(leaf.toString('hex'));
  }

  /**
   * Appends the entry `build(index)` whose leaf hash is `leaf`; resolves once it is durable
   * and in the tree. Throws {@link DuplicateEntryError} (after the existing entry is committed)
   * when an entry with the same leaf exists.
   */
  async add(leaf: Buffer, build: (index: number) => T): Promise<Appended<T>> {
    if (this.failed) throw this.failed;
    const key = leaf.toString('hex');
    const existing = this.byLeaf.get(key);
    if (existing !== undefined) {
      await this.whenCommitted(existing);
      throw new DuplicateEntryError(existing);
    }
    const index = this.nextIndex++;
    this.byLeaf.set(key, index);
    let entry: T;
    try {
      entry = build(index);
    } catch (e) {
      // Nothing was queued: give the index back only if it is still the last one.
      this.byLeaf.delete(key);
      if (this.nextIndex === index + 1) this.nextIndex = index;
      else this.fail(new Error('log index sequence broken'));
      throw e;
    }
    const p = new Promise<Appended<T>>((resolve, reject) => this.pending.push({ entry, leaf, resolve, reject }));
    if (!this.committing) void this.commit();
    return p;
  }

  /** Resolves once the entry at `index` is committed. */
  whenCommitted(index: number): Promise<void> {
    if (index < this.tree.size) return Promise.resolve();
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.waiters.push({ index, resolve, reject }));
  }

  private async commit(): Promise<void> {
    this.committing = true;
    while (this.pending.length > 0 && !this.failed) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.store.append(...batch.map((p) => this.codec.encode(p.entry)));
      } catch (e) {
        this.fail(e, batch);
        break;
      }
      const first = this.tree.size;
      for (const p of batch) {
        this.tree.append(p.leaf);
        this.entries.push(p.entry);
      }
      const size = this.tree.size;
      let note: string;
      try {
        note = this.checkpoint();
      } catch (e) {
        this.fail(e, batch);
        break;
      }
      for (const [k, p] of batch.entries()) p.resolve({ index: first + k, entry: p.entry, size, checkpoint: note });
      const ready = this.waiters.filter((w) => w.index < size);
      this.waiters = this.waiters.filter((w) => w.index >= size);
      for (const w of ready) w.resolve();
    }
    this.committing = false;
  }

  private fail(e: unknown, batch: Pending<T>[] = []): void {
    this.failed = e;
    for (const p of [...batch, ...this.pending]) p.reject(e);
    this.pending = [];
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  /** The signed checkpoint for the current tree (cached until the tree grows or the key changes). */
  checkpoint(): string {
    const size = this.tree.size;
    if (this.cached?.size === size) return this.cached.note;
    const note = this.signer(size, this.tree.root(size));
    this.cached = { size, note };
    return note;
  }

  /** Forgets the cached checkpoint (after a key rotation). */
  resign(): void {
    this.cached = undefined;
  }

  async close(): Promise<void> {
    while (this.committing) await new Promise((r) => setTimeout(r, 5));
    await this.store.close();
  }
}
