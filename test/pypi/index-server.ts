/**
 * A loopback Python package index for tests and the benchmark: the JSON simple API (PEP 691,
 * `application/vnd.pypi.simple.v1+json`), the Integrity API (PEP 740,
 * `/integrity/<project>/<version>/<filename>/provenance`), and the files under `/files/`.
 * It serves what it is given, including what a broken or hostile index would: a listed hash
 * that is not the file's, errors on chosen projects, provenance announced in the simple API's
 * `provenance` key. It counts every request.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { normalizeProjectName, parseDistributionFilename } from '../../src/pypi/distribution.js';

export interface IndexedFile {
  filename: string;
  data: Buffer;
  /** The provenance object (JSON bytes) the Integrity API serves; none: 404. */
  provenance?: Buffer;
  /** The sha256 the simple API lists (default: the file's). */
  listedSha256?: string;
  /** List the provenance URL in the simple API's `provenance` key (PEP 740); `null` to say there is none. */
  provenanceKey?: boolean | null;
}

export class LoopbackIndex {
  readonly projects = new Map<string, { name: string; files: IndexedFile[] }>();
  /** Projects whose page is served as HTML only (an index without PEP 691). */
  readonly htmlOnly = new Set<string>();
  /** Projects whose page answers this status instead. */
  readonly failing = new Map<string, number>();
  /** Every request path, in order. */
  readonly log: string[] = [];
  url = '';
  private server: Server | undefined;

  get requests(): number {
    return this.log.length;
  }

  add(file: IndexedFile): this {
    const p = parseDistributionFilename(file.filename);
    let proj = this.projects.get(p.project);
    if (!proj) {
      proj = { name: p.project, files: [] };
      this.projects.set(p.project, proj);
    }
    proj.files = proj.files.filter((f) => f.filename !== file.filename);
    proj.files.push(file);
    return this;
  }

  file(filename: string): IndexedFile | undefined {
    const p = parseDistributionFilename(filename);
    return this.projects.get(p.project)?.files.find((f) => f.filename === filename);
  }

  async start(): Promise<this> {
    const sha = new Map<IndexedFile, string>();
    const digest = (f: IndexedFile) => {
      let d = sha.get(f);
      if (!d) {
        d = createHash('sha256').update(f.data).digest('hex');
        sha.set(f, d);
      }
      return d;
    };
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      this.log.push(path);
      const send = (status: number, body: string | Buffer, type = 'text/plain') => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      let m = /^\/simple\/([^/]+)\/$/.exec(path);
      if (m) {
        const name = m[1]!;
        if (normalizeProjectName(name) !== name) return send(301, '', 'text/plain');
        const failing = this.failing.get(name);
        if (failing) return send(failing, `index failure ${failing}`);
        const proj = this.projects.get(name);
        if (!proj) return send(404, 'not found');
        if (this.htmlOnly.has(name) || !String(req.headers.accept ?? '').includes('application/vnd.pypi.simple.v1+json')) return send(200, '<html></html>', 'text/html');
        const files = proj.files.map((f) => {
          const p = parseDistributionFilename(f.filename);
          const entry: Record<string, unknown> = { filename: f.filename, url: `../../files/${encodeURIComponent(f.filename)}`, hashes: { sha256: f.listedSha256 ?? digest(f) }, yanked: false };
          if (f.provenanceKey === null) entry.provenance = null;
          else if (f.provenanceKey) entry.provenance = `${this.url}/integrity/${p.project}/${p.version}/${encodeURIComponent(f.filename)}/provenance`;
          return entry;
        });
        return send(200, JSON.stringify({ meta: { 'api-version': '1.1' }, name: proj.name, files }), 'application/vnd.pypi.simple.v1+json');
      }
      m = /^\/files\/([^/]+)$/.exec(path);
      if (m) {
        const f = this.fileOrUndefined(m[1]!);
        return f ? send(200, f.data, 'application/octet-stream') : send(404, 'not found');
      }
      m = /^\/integrity\/([^/]+)\/([^/]+)\/([^/]+)\/provenance$/.exec(path);
      if (m) {
        const f = this.fileOrUndefined(m[3]!);
        if (!f) return send(404, 'not found');
        const p = parseDistributionFilename(f.filename);
        const failing = this.failing.get(p.project);
        if (failing) return send(failing, `index failure ${failing}`);
        if (p.project !== m[1] || p.version !== m[2] || !f.provenance) return send(404, 'not found');
        return send(200, f.provenance, 'application/vnd.pypi.integrity.v1+json');
      }
      send(404, 'not found');
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private fileOrUndefined(filename: string): IndexedFile | undefined {
    try {
      return this.file(filename);
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
