/**
 * The interactive login's loopback redirect listener: a one-shot HTTP server on 127.0.0.1 that
 * takes exactly one authorization response on its callback path, checks it, and answers the
 * browser with a small page.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdentityError } from './errors.js';
import { checkAuthResponse } from './oauth-errors.js';

const CALLBACK_PATH = '/auth/callback';

/** The loopback redirect listener: answers exactly one authorization response.
 *
 * @example
 * ```ts
 * const listener = await Listener.start('127.0.0.1', (p) => p);
 * console.error(`redirect URI: ${listener.redirectUri}`);
 * const params = await listener.result;
 * await listener.close();
 * ```
 */
export class Listener {
  authorizationUrl = '';
  readonly result: Promise<URLSearchParams>;
  private settle!: { resolve: (p: URLSearchParams) => void; reject: (e: Error) => void };
  private done = false;
  private constructor(
    private readonly server: Server,
    readonly redirectUri: string,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.result.catch(() => {});
  }

  static async start(host: '127.0.0.1' | 'localhost' | '::1', validate: (p: URLSearchParams) => URLSearchParams): Promise<Listener> {
    const bind = host === '::1' ? '::1' : '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const listener = new Listener(server, `http://${host === '::1' ? '[::1]' : host}:${port}${CALLBACK_PATH}`);
    server.on('request', (req, res) => listener.handle(req, res, validate));
    return listener;
  }

  private handle(req: IncomingMessage, res: ServerResponse, validate: (p: URLSearchParams) => URLSearchParams): void {
    const url = new URL(req.url ?? '/', 'http://loopback');
    res.setHeader('connection', 'close');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('referrer-policy', 'no-referrer');
    if (req.method !== 'GET') {
      page(res, 405, 'Method not allowed', '');
      return;
    }
    if (url.pathname === '/' && this.authorizationUrl && !this.done) {
      res.writeHead(302, { location: this.authorizationUrl });
      res.end();
      return;
    }
    if (url.pathname !== CALLBACK_PATH) {
      page(res, 404, 'Not found', '');
      return;
    }
    const p = url.searchParams;
    if (!p.has('code') && !p.has('error') && !p.has('state')) {
      page(res, 400, 'Not an authorization response', '');
      return;
    }
    if (this.done) {
      page(res, 410, 'Already done', 'This login has already completed. You may close this page.');
      return;
    }
    this.done = true;
    try {
      const params = checkAuthResponse(() => validate(p));
      if (!params.get('code')) throw new IdentityError('OAUTH_INVALID_RESPONSE', 'the authorization response has no code');
      page(res, 200, 'Sigstore authentication successful', 'You may now close this page and return to the terminal.');
      this.settle.resolve(params);
    } catch (e) {
      const err = e as IdentityError;
      page(res, 400, 'Sigstore authentication failed', `${err.message}. You may close this page.`);
      this.settle.reject(err);
    }
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
