/**
 * The HTTP layer: one node:http server on loopback, a small router, request body limits, and
 * errors turned into JSON answers `{"code": status, "message": "..."}` (the shape Rekor and
 * Fulcio use, and what sigstore clients read the message from).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError } from './util.js';

export const MAX_BODY = 10 * 1024 * 1024;

export interface Req {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as JSON (400 when it is not). */
  json(): unknown;
  /** The body as an application/x-www-form-urlencoded form. */
  form(): URLSearchParams;
  /** The media type of the body, lower case, without parameters. */
  contentType: string;
}

export interface Res {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type Handler = (req: Req, params: string[]) => Promise<Res> | Res;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Res {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: `${JSON.stringify(body)}\n` };
}

export function text(body: string, contentType = 'text/plain; charset=utf-8', status = 200): Res {
  return { status, headers: { 'Content-Type': contentType }, body };
}

export function bytes(body: Buffer, contentType: string, status = 200): Res {
  return { status, headers: { 'Content-Type': contentType }, body };
}

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: RegExp | string, handler: Handler): this {
    const re = typeof pattern === 'string' ? new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : pattern;
    this.routes.push({ method, pattern: re, handler });
    return this;
  }

  async handle(req: Req): Promise<Res> {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(req.path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== req.method && !(r.method === 'GET' && req.method === 'HEAD')) continue;
      return r.handler(req, m.slice(1).map((s) => s ?? ''));
    }
    if (pathMatched) throw new HttpError(405, `method ${req.method} is not allowed on ${req.path}`);
    throw new HttpError(404, `no such endpoint: ${req.method} ${req.path}`);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => (tooBig ? reject(new HttpError(413, `request body is larger than ${MAX_BODY} bytes`)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function makeReq(raw: IncomingMessage, body: Buffer): Req {
  const url = new URL(raw.url ?? '/', 'http://localhost');
  const contentType = (raw.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return {
    method: raw.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: raw.headers,
    body,
    contentType,
    json() {
      if (body.length === 0) throw new HttpError(400, 'request body is empty (expected JSON)');
      try {
        return JSON.parse(body.toString('utf8'));
      } catch (e) {
        throw new HttpError(400, `request body is not valid JSON (${(e as Error).message})`);
      }
    },
    form() {
      if (contentType === 'application/json') {
        const o = this.json();
        const p = new URLSearchParams();
        if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) p.set(k, String(v));
        return p;
      }
      return new URLSearchParams(body.toString('utf8'));
    },
  };
}

export interface ServerOptions {
  host: string;
  port: number;
  /** Called for each request when set (access log). */
  log?: (line: string) => void;
  /** Called with unexpected (5xx) errors. */
  onError?: (e: unknown) => void;
}

/** A started HTTP server and its bound port. */
export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Starts the server; `handle` is consulted for every request (it may change after start). */
export async function listen(opts: ServerOptions, handle: () => Router | undefined): Promise<Listening> {
  const server = createServer((raw: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const started = Date.now();
      let out: Res;
      try {
        const router = handle();
        if (!router) throw new HttpError(503, 'the instance is starting');
        const body = raw.method === 'GET' || raw.method === 'HEAD' ? Buffer.alloc(0) : await readBody(raw);
        out = await router.handle(makeReq(raw, body));
      } catch (e) {
        if (e instanceof HttpError) {
          out = json(e.body ?? { code: e.status, message: e.message }, e.status, e.headers);
        } else {
          opts.onError?.(e);
          out = json({ code: 500, message: `internal error: ${(e as Error)?.message ?? String(e)}` }, 500);
        }
      }
      const payload = out.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(out.body) ? out.body : Buffer.from(out.body);
      res.writeHead(out.status ?? 200, { ...out.headers, 'Content-Length': String(payload.length) });
      res.end(raw.method === 'HEAD' ? undefined : payload);
      opts.log?.(`${raw.method} ${raw.url} ${out.status ?? 200} ${Date.now() - started}ms`);
    })();
  });
  // Generous keep-alive: under load (1,000s of queued requests on a busy loop) a short idle
  // timeout races clients reusing a connection, which then see a reset.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port, backlog: 2048 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Stop accepting, let requests in flight finish (up to 2 s), then drop what is left.
        server.close(() => resolve());
        server.closeIdleConnections();
        const t = setTimeout(() => server.closeAllConnections(), 2000);
        t.unref();
      }),
  };
}
