/**
 * Test helpers for the OIDC tests: signed JWTs with chosen claims, and small loopback HTTP servers.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const TEST_PRIVATE_KEY: KeyObject = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
export const TEST_JWK = { ...publicKey.export({ format: 'jwk' }), kid: 'test', alg: 'ES256', use: 'sig' };

const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** An ES256-signed JWT with exactly these claims (and header additions). */
export function makeJwt(claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64u({ alg: 'ES256', typ: 'JWT', kid: 'test', ...header })}.${b64u(claims)}`;
  const sig = sign('sha256', Buffer.from(input), { key: TEST_PRIVATE_KEY, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

export const now = () => Math.floor(Date.now() / 1000);

/** Claims of a valid public-good email token; `overrides` with `undefined` values remove claims. */
export function emailClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  const c: Record<string, unknown> = {
    iss: 'https://oauth2.sigstore.dev/auth',
    sub: 'CgVhbGljZRIGZ2l0aHVi',
    aud: 'sigstore',
    iat: t - 10,
    nbf: t - 10,
    exp: t + 300,
    email: 'alice@example.com',
    email_verified: true,
    federated_claims: { connector_id: 'https://github.com/login/oauth', user_id: '1' },
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete c[k];
    else c[k] = v;
  }
  return c;
}

/** Claims of a GitHub Actions workflow token. */
export function githubClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return {
    iss: 'https://token.actions.githubusercontent.com',
    sub: 'repo:octo/repo:ref:refs/heads/main',
    aud: 'sigstore',
    iat: t - 5,
    nbf: t - 5,
    exp: t + 300,
    repository: 'octo/repo',
    job_workflow_ref: 'octo/repo/.github/workflows/release.yml@refs/heads/main',
    ...overrides,
  };
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** A loopback HTTP server on a random port; resolves to its base URL and a close function. */
export async function serve(handler: Handler): Promise<{ url: string; host: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve(handler(req, res, Buffer.concat(chunks).toString('utf8'))).catch((e) => {
        res.writeHead(500);
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Runs `fn` and returns the error it throws (fails when it does not throw). */
export async function rejection(fn: () => unknown): Promise<Error & { code?: string; provider?: string }> {
  try {
    await fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error, none was thrown');
}
