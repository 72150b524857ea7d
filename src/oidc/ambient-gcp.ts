/**
 * Google Cloud's ambient credentials: the metadata server's identity token for the VM's service
 * account, or (with `GOOGLE_SERVICE_ACCOUNT_NAME`) one for another account through the IAM
 * credentials API. Reached directly, never through a proxy.
 */
import { readFileSync } from 'node:fs';
import type { ErrorCode } from '../errors.js';
import type { AmbientOptions } from './ambient.js';
import { ctx } from './ambient-run.js';
import { AmbientCredentialError } from './errors.js';
import { fetchFailure, fetchWithTimeout, snippet } from './util.js';

const GCP_PRODUCT_NAME_FILE = '/sys/class/dmi/id/product_name';
const GCP_DEFAULT_METADATA_HOST = 'metadata.google.internal';
const GCP_IAM_CREDENTIALS_URL = 'https://iamcredentials.googleapis.com';
const GCP_CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * Google Cloud. With `GOOGLE_SERVICE_ACCOUNT_NAME` set: impersonation, an access token from the
 * metadata server (`.../service-accounts/default/token`) exchanged at the IAM credentials API's
 * `generateIdToken` for an ID token of that service account. Otherwise, on a Google Compute
 * machine (per `/sys/class/dmi/id/product_name`): the metadata server's identity endpoint
 * (`.../service-accounts/default/identity?audience=AUD&format=full`). Metadata requests carry and
 * their answers must carry `Metadata-Flavor: Google`.
 *
 * @example
 * ```ts
 * const jwt = await detectGcp({ gcpMetadataHost: '127.0.0.1:8080' });
 * ```
 */
export async function detectGcp(options: AmbientOptions = {}): Promise<string | undefined> {
  const c = ctx(options);
  const fail = (code: ErrorCode, m: string): never => {
    throw new AmbientCredentialError('gcp', code, `Google Cloud: ${m}`);
  };
  const host = options.gcpMetadataHost ?? c.env.GCE_METADATA_HOST ?? GCP_DEFAULT_METADATA_HOST;
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)) {
    fail('AMBIENT_CREDENTIAL_ERROR', `the metadata server host ${JSON.stringify(host)} is not a host[:port]`);
  }
  const metadata = `http://${host}/computeMetadata/v1/instance/service-accounts/default`;

  const metadataGet = async (path: string, params: Record<string, string>, what: string): Promise<string> => {
    const url = new URL(`${metadata}/${path}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let resp: Response;
    try {
      // The metadata server is on the VM's own network: never through a proxy.
      resp = await fetchWithTimeout(url, { headers: { 'metadata-flavor': 'Google' } }, c.timeoutMs, { direct: true });
    } catch (e) {
      return fail('AMBIENT_CREDENTIAL_ERROR', `${what} request to the metadata server failed (${fetchFailure(e, c.timeoutMs)})`);
    }
    const body = await resp.text();
    if (resp.status !== 200) fail('AMBIENT_CREDENTIAL_ERROR', `${what} request failed (HTTP ${resp.status}: ${snippet(body)})`);
    if (resp.headers.get('metadata-flavor') !== 'Google') {
      fail('AMBIENT_CREDENTIAL_ERROR', `the ${what} response did not come from a metadata server (no "Metadata-Flavor: Google" header)`);
    }
    return body;
  };

  const account = c.env.GOOGLE_SERVICE_ACCOUNT_NAME;
  if (account) {
    if (!/^[^/?#\s%]+$/.test(account)) fail('AMBIENT_CREDENTIAL_ERROR', 'GOOGLE_SERVICE_ACCOUNT_NAME is not a service account name or email');
    c.log(`GCP: GOOGLE_SERVICE_ACCOUNT_NAME is set; impersonating ${account}`);
    const tokenBody = await metadataGet('token', { scopes: GCP_CLOUD_PLATFORM_SCOPE }, 'access token');
    let accessToken: unknown;
    try {
      accessToken = (JSON.parse(tokenBody) as { access_token?: unknown })?.access_token;
    } catch {
      // handled below
    }
    if (typeof accessToken !== 'string' || accessToken.length === 0) fail('AMBIENT_CREDENTIAL_ERROR', 'access token missing from the metadata server response');
    const base = (options.iamCredentialsUrl ?? GCP_IAM_CREDENTIALS_URL).replace(/\/+$/, '');
    const url = `${base}/v1/projects/-/serviceAccounts/${account}:generateIdToken`;
    c.log(`GCP: requesting an ID token from ${base}`);
    let resp: Response;
    try {
      resp = await fetchWithTimeout(
        url,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ audience: c.audience, includeEmail: true }),
        },
        c.timeoutMs,
      );
    } catch (e) {
      return fail('AMBIENT_CREDENTIAL_ERROR', `generateIdToken request failed (${fetchFailure(e, c.timeoutMs)})`);
    }
    const body = await resp.text();
    if (resp.status !== 200) {
      fail('AMBIENT_CREDENTIAL_ERROR', `generateIdToken request failed (HTTP ${resp.status}: ${snippet(body, [accessToken as string])})`);
    }
    let token: unknown;
    try {
      token = (JSON.parse(body) as { token?: unknown })?.token;
    } catch {
      // handled below
    }
    if (typeof token !== 'string' || token.length === 0) fail('AMBIENT_CREDENTIAL_ERROR', 'ID token missing from the generateIdToken response');
    c.log('GCP: got an ID token by impersonation');
    return token as string;
  }

  let product: string;
  try {
    product = readFileSync(options.gcpProductNameFile ?? GCP_PRODUCT_NAME_FILE, 'utf8').trim();
  } catch {
    c.log('GCP: no product name file; not Google Cloud');
    return undefined;
  }
  if (product !== 'Google' && product !== 'Google Compute Engine') {
    c.log(`GCP: product name is ${JSON.stringify(product.slice(0, 64))}; not Google Cloud`);
    return undefined;
  }
  c.log('GCP: requesting an ID token from the metadata server');
  const token = (await metadataGet('identity', { audience: c.audience, format: 'full' }, 'identity token')).trim();
  if (token.length === 0) fail('AMBIENT_CREDENTIAL_ERROR', 'the metadata server returned an empty identity token');
  c.log('GCP: got an ID token');
  return token;
}
