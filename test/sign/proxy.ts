/**
 * A loopback reverse proxy in front of the local instance that injects faults: error statuses,
 * hangs, truncated bodies, answers dropped after the instance processed the request, rewritten
 * responses (an invalid SCT, a wrong inclusion proof, ...), and latency.
 */
import http from 'node:http';
import type net from 'node:net';

export type Fault =
  /** Forward unchanged (to let some requests through before a fault). */
  | { kind: 'pass' }
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Forward, then send only half the body before closing the connection. */
  | { kind: 'truncate' }
  /** Forward (the instance processes it), then close the connection without an answer. */
  | { kind: 'drop-after' }
  /** Forward, then rewrite the answer's body. */
  | { kind: 'rewrite'; fn: (body: Buffer, status: number) => Buffer | string }
  /** Rewrite the request's body, then forward it. */
  | { kind: 'rewrite-request'; fn: (body: Buffer) => Buffer | string | Promise<Buffer | string> }
  /** Answer with this body (status 200/201) without forwarding. */
  | { kind: 'reply'; status?: number; body: Buffer | string; contentType?: string };

export interface Rule {
  method?: string;
  path: RegExp;
  fault: Fault;
  /** How many matching requests get the fault (default: all). */
  times?: number;
}

export interface FaultProxy {
  url: string;
  /** Requests seen, as "METHOD /path". */
  log: string[];
  rules: Rule[];
  latencyMs: number;
  /** The most requests that were in flight at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, opts: { latencyMs?: number } = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  const sockets = new Set<net.Socket>();
  const hung: http.ServerResponse[] = [];
  const state: FaultProxy = { url: '', log: [], rules: [], latencyMs: opts.latencyMs ?? 0, maxInFlight: 0, close: async () => {} };
  let inFlight = 0;
  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: upstream.host };
      const u = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(chunks) }));
        r.on('error', reject);
      });
      u.on('error', reject);
      u.end(body);
    });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      let body: Buffer = Buffer.concat(chunks);
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      const path = (req.url ?? '/').split('?')[0]!;
      state.log.push(`${req.method} ${path}`);
      if (state.latencyMs > 0) await new Promise((r) => setTimeout(r, state.latencyMs));
      const rule = state.rules.find((r) => (r.method === undefined || r.method === req.method) && r.path.test(path) && (r.times === undefined || r.times > 0));
      if (rule && rule.times !== undefined) rule.times--;
      const f = rule?.fault;
      try {
        if (f?.kind === 'status') {
          res.writeHead(f.status, { 'content-type': 'application/json', ...f.headers }).end(f.body ?? JSON.stringify({ message: `injected ${f.status}` }));
          return;
        }
        if (f?.kind === 'hang') {
          hung.push(res);
          return;
        }
        if (f?.kind === 'reply') {
          res.writeHead(f.status ?? 200, { 'content-type': f.contentType ?? 'application/json' }).end(f.body);
          return;
        }
        if (f?.kind === 'rewrite-request') {
          const r = await f.fn(body);
          body = typeof r === 'string' ? Buffer.from(r) : r;
          req.headers['content-length'] = String(body.length);
        }
        const up = await forward(req, body);
        const headers = { ...up.headers };
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        delete headers.connection;
        delete headers['keep-alive'];
        if (f?.kind === 'drop-after') {
          req.socket.destroy();
          return;
        }
        if (f?.kind === 'truncate') {
          res.writeHead(up.status, { ...headers, 'content-length': String(up.body.length) });
          res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
          setTimeout(() => req.socket.destroy(), 5);
          return;
        }
        let out = up.body;
        if (f?.kind === 'rewrite') {
          const r = f.fn(up.body, up.status);
          out = typeof r === 'string' ? Buffer.from(r) : r;
        }
        res.writeHead(up.status, { ...headers, 'content-length': String(out.length) }).end(out);
      } catch (e) {
        res.writeHead(502).end(String(e));
      }
    });
  });
  server.on('connection', (c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      for (const h of hung) h.destroy();
      for (const c of sockets) c.destroy();
      server.close(() => r());
    });
  return state;
}

/** A fault that rewrites a JSON answer in place. */
export function rewriteJson(fn: (o: Record<string, unknown>) => void): Fault {
  return {
    kind: 'rewrite',
    fn: (body) => {
      const o = JSON.parse(body.toString()) as Record<string, unknown>;
      fn(o);
      return JSON.stringify(o);
    },
  };
}
