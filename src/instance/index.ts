/**
 * The local Sigstore instance: every service a Sigstore client talks to, speaking the real wire
 * protocols over real HTTP on 127.0.0.1, so that signing, trust bootstrap and verification can be
 * exercised end to end with no network.
 *
 * Services (one port; paths relative to `url`):
 * - OIDC provider: `/oauth2/.well-known/openid-configuration`, `/oauth2/keys`, `/oauth2/auth`
 *   (HTML login form, authorization code + PKCE), `/oauth2/token`
 * - Fulcio v2: `POST /api/v2/signingCert`, `GET /api/v2/trustBundle`, `GET /api/v2/configuration`
 * - CT log (RFC 6962): `POST /ct/v1/add-pre-chain`, `GET /ct/v1/get-sth`
 * - Rekor v1: `/api/v1/log/entries` (POST, GET by UUID or `?logIndex=`), `/api/v1/log/entries/retrieve`,
 *   `/api/v1/log`, `/api/v1/log/publicKey`, `/api/v1/log/proof`
 * - Rekor v2 (rekor-tiles): `POST /api/v2/log/entries`, `GET /api/v2/checkpoint`,
 *   `GET /api/v2/tile/{L}/{N}`, `GET /api/v2/tile/entries/{N}`
 * - TSA (RFC 3161): `POST /api/v1/timestamp` (DER or JSON), `GET /api/v1/timestamp/certchain`
 * - TUF repository: `/tuf/` (`1.root.json`, `timestamp.json`, ..., `targets/`)
 *
 * This module is loaded only by `sigstore instance` and by tests; the signing and verification
 * code never imports it.
 *
 * @example
 * ```ts
 * import { startInstance } from 'sigstore-ts/instance';
 * const inst = await startInstance({ dataDir: '/tmp/sigstore-local', port: 0, identity: 'me@example.com' });
 * const token = await inst.token();             // a fresh ID token for me@example.com
 * console.log(inst.url, inst.trustConfig);      // base URL, ClientTrustConfig
 * inst.rotateRekorKey();                         // new Rekor key, TUF targets republished
 * await inst.stop();
 * ```
 */
export { type InstanceOptions, SigstoreInstance, startInstance } from './instance.js';
export { type MintOptions, OidcProvider } from './oidc.js';
export { type TufRole, TufRepo } from './tuf.js';
