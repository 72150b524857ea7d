/**
 * The client's one HTTP layer (TUF, Fulcio, Rekor, TSA, OIDC discovery and token requests all go
 * through it): node:http/https (so NODE_EXTRA_CA_CERTS applies), HTTPS_PROXY /
 * HTTP_PROXY / NO_PROXY through CONNECT tunnels, per-attempt timeouts, bounded response sizes,
 * and bounded exponential backoff for transient failures (connection errors, timeouts, 408, 429,
 * 5xx). Permanent failures throw {@link NetworkError} naming the service.
 */
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { NetworkError } from '../errors.js';
import { JsonSyntaxError, parseStrictJson } from './strict-json.js';

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
  /** For messages: "Fulcio", "Rekor", "TSA", "TUF" ... */
  service?: string;
  /** Per-attempt timeout in ms (default 30 s). */
  timeoutMs?: number;
  /** Attempts for transient failures (default 4: one try and three retries). */
  attempts?: number;
  /** First backoff delay in ms (default 250; doubles, with jitter, capped at `maxBackoffMs`). */
  backoffMs?: number;
  /** Longest single backoff delay in ms, also for `Retry-After` (default 4000). */
  maxBackoffMs?: number;
  /** Largest accepted response body (default 16 MiB). */
  maxBytes?: number;
  /**
   * An absolute deadline (epoch ms) for the whole request, retries and backoff included: no
   * attempt outlives it and no retry starts after it (a repository that hangs or keeps
   * answering 503 costs at most this long).
   */
  deadline?: number;
  /** `false`: connect directly, whatever HTTPS_PROXY/HTTP_PROXY say (a cloud metadata server). */
  proxy?: false;
}

export interface HttpResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** How many attempts it took (more than one when transient failures were retried). */
  attempts?: number;
  /** The body as JSON; throws a NetworkError naming the service when it is not. */
  json<T = unknown>(): T;
}

const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/**
 * Whether a host is excluded from proxying by NO_PROXY (or no_proxy): `*`, host names (with or
 * without a leading `.` or `*.`, matching subdomains), optional `:port`, IPv4 addresses and
 * IPv4 CIDR ranges (`10.0.0.0/8`), bracketed or bare IPv6 addresses.
 */
export function noProxy(host: string, port: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const list = (env.NO_PROXY ?? env.no_proxy ?? '').split(/[\s,]+/).filter(Boolean);
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  const hIp = ipv4(h);
  return list.some((raw) => {
    if (raw === '*') return true;
    let entry = raw.toLowerCase();
    let p: string | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1]!;
      p = bracketed[2];
    } else if (!entry.includes('::') && (entry.match(/:/g) ?? []).length === 1) {
      [entry, p] = entry.split(':') as [string, string];
    }
    if (p && p !== port) return false;
    const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(entry);
    if (cidr) {
      const net = ipv4(cidr[1]!);
      const bitsN = Number(cidr[2]);
      if (net === undefined || hIp === undefined || bitsN > 32) return false;
      const mask = bitsN === 0 ? 0 : (0xffffffff << (32 - bitsN)) >>> 0;
      return (net & mask) === (hIp & mask);
    }
    const bare = entry.replace(/^\*?\./, '');
    return h === bare || h.endsWith(`.${bare}`);
  });
}

/** The proxy URL to use for `url`, if any (HTTPS_PROXY / HTTP_PROXY, lower case too). */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const raw = url.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!raw) return undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (noProxy(url.hostname, port, env)) return undefined;
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw new NetworkError('PROXY_INVALID', `the proxy setting ${JSON.stringify(raw)} is not a URL`);
  }
}

/** Transport errors that retrying cannot fix: TLS and certificate failures, unknown hosts. */
const PERMANENT_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_INVALID_|ENOTFOUND|ERR_UNESCAPED_CHARACTERS|EPROTO$)/;

function transportFailure(e: Error): HttpFailure {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return new HttpFailure(code && !e.message.includes(code) ? `${e.message} (${code})` : e.message, !PERMANENT_CODES.test(code));
}

class HttpFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(cred).toString('base64')}` };
}

/** Opens a CONNECT tunnel through an HTTP proxy to host:port. */
async function tunnel(proxy: URL, host: string, port: string, timeoutMs: number): Promise<import('node:net').Socket> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: `${host}:${port}`,
      headers: { host: `${host}:${port}`, ...proxyAuth(proxy) },
      timeout: timeoutMs,
    });
    req.on('connect', (res, socket) => {
      if (res.statusCode === 200) {
        socket.setTimeout(0);
        resolve(socket);
      }
      else {
        socket.destroy();
        reject(new HttpFailure(`proxy ${proxy.host} refused the tunnel (HTTP ${res.statusCode})`, false, res.statusCode));
      }
    });
    req.on('timeout', () => req.destroy(new HttpFailure(`proxy ${proxy.host} timed out`, true)));
    req.on('error', (e) => {
      if (e instanceof HttpFailure) return reject(e);
      const f = transportFailure(e);
      reject(new HttpFailure(`cannot reach proxy ${proxy.host}: ${f.message}`, f.transient));
    });
    req.end();
  });
}

async function attempt(req: HttpRequest, url: URL, timeoutMs: number, maxBytes: number): Promise<HttpResponse> {
  const isHttps = url.protocol === 'https:';
  const mod = isHttps ? await import('node:https') : await import('node:http');
  const proxy = req.proxy === false ? undefined : proxyFor(url);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  const headers: OutgoingHttpHeaders = { 'user-agent': 'sigstore-ts', ...req.headers };
  if (body) headers['content-length'] = body.length;
  const port = url.port || (isHttps ? '443' : '80');
  let path = url.pathname + url.search;
  const options: import('node:https').RequestOptions = { method: req.method ?? 'GET', headers, timeout: timeoutMs };
  if (proxy && isHttps) {
    const tls = await import('node:tls');
    const socket = await tunnel(proxy, url.hostname, port, timeoutMs);
    const { isIP } = await import('node:net');
    const bare = url.hostname.replace(/^\[|\]$/g, '');
    const servername = isIP(bare) ? undefined : bare;
    Object.assign(options, {
      host: bare,
      port,
      ...(servername ? { servername } : {}),
      createConnection: () => tls.connect({ socket, ...(servername ? { servername } : {}) }),
    });
  } else if (proxy) {
    Object.assign(options, { host: proxy.hostname, port: proxy.port || 80 });
    Object.assign(headers, proxyAuth(proxy), { host: url.host });
    path = url.href;
  } else {
    Object.assign(options, { host: url.hostname.replace(/^\[|\]$/g, ''), port });
  }
  options.path = path;
  return new Promise<HttpResponse>((resolve, reject) => {
    let timedOut = false;
    const timeoutFailure = () => new HttpFailure(`no complete answer within ${timeoutMs} ms`, true);
    // The socket timeout catches silence; this deadline also catches a response that trickles.
    const deadline = setTimeout(() => {
      timedOut = true;
      r.destroy(timeoutFailure());
    }, timeoutMs);
    deadline.unref?.();
    const settle = (f: () => void) => {
      clearTimeout(deadline);
      f();
    };
    const fail = (e: HttpFailure) => settle(() => reject(timedOut ? timeoutFailure() : e));
    const r: ClientRequest = mod.request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          settle(() => reject(new HttpFailure(`response larger than ${maxBytes} bytes`, false)));
          res.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('error', (e) => fail(e instanceof HttpFailure ? e : new HttpFailure(`the response was cut off (${e.message})`, true)));
      res.on('aborted', () => fail(new HttpFailure('the response was cut off', true)));
      res.on('close', () => {
        if (!res.complete) fail(new HttpFailure('the response was cut off', true));
      });
      res.on('end', () => {
        if (!res.complete) return fail(new HttpFailure('the response was cut off', true));
        const buf = Buffer.concat(chunks);
        settle(() => resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: buf,
          json<T>() {
            try {
              // Strict and bounded: a service's answer is as hostile as any input until verified.
              return parseStrictJson(buf.toString('utf8'), { maxBytes }) as T;
            } catch (e) {
              const why = e instanceof JsonSyntaxError ? ` (${e.message})` : '';
              throw new NetworkError('RESPONSE_MALFORMED', `${req.service ?? url.host} answered with malformed JSON${why}`);
            }
          },
        }));
      });
    });
    r.on('timeout', () => {
      timedOut = true;
      r.destroy(timeoutFailure());
    });
    r.on('error', (e) => fail(e instanceof HttpFailure ? e : transportFailure(e)));
    r.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends a request, retrying transient failures with bounded exponential backoff. Resolves with
 * any final response (callers check the status); rejects with a NetworkError when every attempt
 * failed transiently or a permanent transport error occurred.
 */
export async function request(req: HttpRequest): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new NetworkError('URL_INVALID', `${req.service ?? 'service'} URL ${JSON.stringify(req.url)} is not valid`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new NetworkError('URL_INVALID', `unsupported URL scheme in ${req.url}`);
  const attempts = Math.max(1, req.attempts ?? 4);
  const timeoutMs = req.timeoutMs ?? 30_000;
  const maxBytes = req.maxBytes ?? 16 * 1024 * 1024;
  const maxDelay = Math.max(0, req.maxBackoffMs ?? 4000);
  let delay = Math.min(req.backoffMs ?? 250, maxDelay);
  const service = req.service ?? url.host;
  let last = '';
  const left = () => (req.deadline === undefined ? Number.POSITIVE_INFINITY : req.deadline - Date.now());
  const outOfTime = (i: number) =>
    new NetworkError('SERVICE_UNAVAILABLE', `${service} at ${url.origin} did not answer within the time allowed${i > 1 ? ` (${i - 1} attempt${i === 2 ? '' : 's'}: ${last})` : ''}`);
  for (let i = 1; i <= attempts; i++) {
    if (left() < 1) throw outOfTime(i);
    try {
      const res = await attempt(req, url, Math.max(1, Math.min(timeoutMs, left())), maxBytes);
      res.attempts = i;
      if (!TRANSIENT_STATUS.has(res.status) || i === attempts) return res;
      last = `HTTP ${res.status}`;
      const ra = res.headers['retry-after'];
      // Retry-After: seconds, or an HTTP date.
      const retryAfterMs = ra === undefined ? Number.NaN : /^\d+$/.test(ra.trim()) ? Number(ra) * 1000 : Date.parse(ra) - Date.now();
      if (Number.isFinite(retryAfterMs) && retryAfterMs > 0) delay = Math.max(delay, Math.min(retryAfterMs, maxDelay));
    } catch (e) {
      if (!(e instanceof HttpFailure) || !e.transient) {
        throw new NetworkError('REQUEST_FAILED', `${service} request to ${url.origin}${url.pathname} failed: ${(e as Error).message}`, { cause: e });
      }
      last = e.message;
      if (i === attempts) break;
    }
    const pause = Math.min(delay * (0.75 + Math.random() * 0.5), maxDelay);
    if (pause >= left()) throw outOfTime(i + 1);
    await sleep(pause);
    delay = Math.min(delay * 2, maxDelay);
  }
  throw new NetworkError('SERVICE_UNAVAILABLE', `${service} at ${url.origin} failed after ${attempts} attempts: ${last}`);
}

/** Throws a NetworkError naming the service unless the response status is 2xx. */
export function expectOk(res: HttpResponse, service: string, what: string): HttpResponse {
  if (res.status >= 200 && res.status < 300) return res;
  let detail = res.body.toString('utf8').slice(0, 300).replace(/\s+/g, ' ').trim();
  try {
    const j = parseStrictJson(res.body.toString('utf8')) as { message?: unknown; error?: unknown } | null;
    const m = j?.message ?? j?.error;
    if (typeof m === 'string') detail = m.slice(0, 300);
  } catch {
    // not JSON: keep the text
  }
  const retried = res.attempts !== undefined && res.attempts > 1 ? ` after ${res.attempts} attempts` : '';
  const verb = res.status >= 500 || TRANSIENT_STATUS.has(res.status) ? 'failed on' : 'refused';
  throw new NetworkError('SERVICE_ERROR', `${service} ${verb} ${what}: HTTP ${res.status}${retried}${detail ? ` (${detail})` : ''}`, { status: res.status });
}

/**
 * Whether a URL's host is this machine (`localhost`, `127.0.0.0/8`, `::1`): the only hosts a
 * service may be reached at over plain `http:`.
 *
 * @example
 * ```ts
 * isLoopbackHost(new URL('http://127.0.0.1:8080').hostname); // true
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
