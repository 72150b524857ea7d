/**
 * Ambient CI credentials, each provider against a loopback stand-in speaking its documented
 * protocol (GitHub Actions' token request URL, Google's metadata server and IAM credentials API)
 * or a fake executable on PATH (buildkite-agent, circleci); then the source order of
 * getIdentityToken.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AMBIENT_PROVIDERS,
  AmbientCredentialError,
  detectAmbientCredential,
  detectBuildkite,
  detectCircleCI,
  detectGcp,
  detectGitHub,
  detectGitLab,
  getIdentityToken,
  gitlabTokenVariable,
  IdentityError,
} from '../../src/oidc/index.js';
import { emailClaims, githubClaims, json, makeJwt, now, rejection, serve } from './helpers.js';

const GH_REQUEST_TOKEN = 'ghs_requesttoken0123456789';
const GH_JWT = makeJwt(githubClaims());
const GCP_ACCESS_TOKEN = 'ya29.access-token-0123456789';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sigstore-oidc-ambient-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake executable on PATH: a shell script that logs its arguments and prints `out`. */
function fakeCommand(dir: string, name: string, script: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return dir;
}

describe('GitHub Actions', () => {
  let gh: Awaited<ReturnType<typeof serve>>;
  const requests: { url: string; auth: string | undefined }[] = [];
  let mode: 'ok' | 'forbidden' | 'garbage' = 'ok';
  before(async () => {
    // The documented protocol: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with
    // `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` -> {"count":..., "value": "<jwt>"}.
    gh = await serve((req, res) => {
      requests.push({ url: req.url!, auth: req.headers.authorization });
      const u = new URL(req.url!, 'http://x');
      if (req.method !== 'GET' || u.pathname !== '/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/idtoken') return json(res, 404, {});
      if (u.searchParams.get('api-version') !== '2.0') return json(res, 400, { message: 'api-version' });
      if (req.headers.authorization?.toLowerCase() !== `bearer ${GH_REQUEST_TOKEN}`) return json(res, 401, { message: 'unauthorized' });
      if (mode === 'forbidden') return json(res, 403, { message: `no id-token permission for ${GH_REQUEST_TOKEN}`, echo: GH_JWT });
      if (mode === 'garbage') return json(res, 200, { count: 1, val: 'x' });
      const aud = u.searchParams.get('audience');
      return json(res, 200, { count: 2000, value: makeJwt(githubClaims({ aud })) });
    });
  });
  after(() => gh.close());
  const env = () => ({
    GITHUB_ACTIONS: 'true',
    ACTIONS_ID_TOKEN_REQUEST_URL: `${gh.url}/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/idtoken?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: GH_REQUEST_TOKEN,
  });

  it('requests a token for audience sigstore with the bearer request token', async () => {
    mode = 'ok';
    requests.length = 0;
    const jwt = await detectGitHub({ env: env() });
    assert.ok(jwt);
    assert.equal(JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).aud, 'sigstore');
    assert.equal(requests.length, 1);
    assert.match(requests[0]!.url, /\?api-version=2\.0&audience=sigstore$/);
    assert.equal(requests[0]!.auth, `bearer ${GH_REQUEST_TOKEN}`);
  });

  it('asks for another audience when told', async () => {
    mode = 'ok';
    const jwt = await detectGitHub({ env: env(), audience: 'other' });
    assert.equal(JSON.parse(Buffer.from(jwt!.split('.')[1]!, 'base64url').toString()).aud, 'other');
  });

  it('keeps the request URL as given and refuses plain http to another machine', async () => {
    mode = 'ok';
    requests.length = 0;
    await detectGitHub({ env: { ...env(), ACTIONS_ID_TOKEN_REQUEST_URL: `${env().ACTIONS_ID_TOKEN_REQUEST_URL}&x=a%7Eb~c` } });
    assert.match(requests[0]!.url, /\?api-version=2\.0&x=a%7Eb~c&audience=sigstore$/);
    const err = await rejection(() => detectGitHub({ env: { ...env(), ACTIONS_ID_TOKEN_REQUEST_URL: 'http://example.com/idtoken?api-version=2.0' } }));
    assert.match(err.message, /must be an https URL/);
  });

  it('is not detected outside GitHub Actions', async () => {
    const { GITHUB_ACTIONS: _, ...rest } = env();
    assert.equal(await detectGitHub({ env: rest }), undefined);
  });

  it('explains missing id-token permissions', async () => {
    for (const missing of ['ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_URL'] as const) {
      const e = { ...env() } as Record<string, string | undefined>;
      delete e[missing];
      const err = await rejection(() => detectGitHub({ env: e }));
      assert.ok(err instanceof AmbientCredentialError);
      assert.equal(err.code, 'AMBIENT_GITHUB_PERMISSION');
      assert.equal(err.provider, 'github');
      assert.match(err.message, new RegExp(`id-token: write.*${missing} is not set`));
    }
  });

  it('reports refusals without the request token or any JWT', async () => {
    mode = 'forbidden';
    const err = await rejection(() => detectGitHub({ env: env() }));
    assert.equal(err.code, 'AMBIENT_CREDENTIAL_ERROR');
    assert.match(err.message, /HTTP 403/);
    assert.ok(!err.message.includes(GH_REQUEST_TOKEN), err.message);
    assert.ok(!err.message.includes(GH_JWT.split('.')[1]!), err.message);
    mode = 'garbage';
    assert.match((await rejection(() => detectGitHub({ env: env() }))).message, /malformed or incomplete JSON/);
  });

  it('reports an unreachable endpoint', async () => {
    const dead = await serve(() => {});
    await dead.close();
    const err = await rejection(() => detectGitHub({ env: { ...env(), ACTIONS_ID_TOKEN_REQUEST_URL: `${dead.url}/x?api-version=2.0` } }));
    assert.match(err.message, /GitHub Actions: OIDC token request failed \(ECONNREFUSED\)/);
    const slow = await serve(() => {}); // never answers
    const t = await rejection(() => detectGitHub({ env: { ...env(), ACTIONS_ID_TOKEN_REQUEST_URL: `${slow.url}/x` }, timeoutMs: 200 }));
    assert.match(t.message, /timed out/);
    await slow.close();
  });
});

describe('Google Cloud', () => {
  let metadata: Awaited<ReturnType<typeof serve>>;
  let iam: Awaited<ReturnType<typeof serve>>;
  const seen: string[] = [];
  let flavor = true;
  let productFile: string;
  before(async () => {
    productFile = join(tmp, 'product_name');
    writeFileSync(productFile, 'Google Compute Engine\n');
    // The metadata server: requests must carry `Metadata-Flavor: Google`, and so do answers.
    metadata = await serve((req, res) => {
      const u = new URL(req.url!, 'http://x');
      seen.push(`${req.method} ${u.pathname}?${u.searchParams}`);
      if (req.headers['metadata-flavor'] !== 'Google') return json(res, 403, { error: 'missing Metadata-Flavor' });
      const headers: Record<string, string> = flavor ? { 'metadata-flavor': 'Google' } : {};
      const base = '/computeMetadata/v1/instance/service-accounts/default';
      if (u.pathname === `${base}/identity`) {
        if (u.searchParams.get('format') !== 'full' || !u.searchParams.get('audience')) return json(res, 400, {}, headers);
        res.writeHead(200, { 'content-type': 'text/html', ...headers });
        res.end(makeJwt(emailClaims({ iss: 'https://accounts.google.com', aud: u.searchParams.get('audience'), email: 'vm@proj.iam.gserviceaccount.com' })));
        return;
      }
      if (u.pathname === `${base}/token`) {
        if (u.searchParams.get('scopes') !== 'https://www.googleapis.com/auth/cloud-platform') return json(res, 400, {}, headers);
        return json(res, 200, { access_token: GCP_ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' }, headers);
      }
      json(res, 404, {}, headers);
    });
    // IAM credentials: POST /v1/projects/-/serviceAccounts/NAME:generateIdToken {audience, includeEmail}.
    iam = await serve((req, res, body) => {
      seen.push(`${req.method} ${req.url} ${body}`);
      const m = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateIdToken$/.exec(req.url!);
      if (req.method !== 'POST' || !m) return json(res, 404, {});
      if (req.headers.authorization !== `Bearer ${GCP_ACCESS_TOKEN}`) return json(res, 401, { error: { message: 'bad credentials' } });
      const b = JSON.parse(body) as { audience: string; includeEmail: boolean };
      if (!b.includeEmail) return json(res, 400, {});
      if (m[1] === 'denied@proj.iam.gserviceaccount.com') return json(res, 403, { error: { message: `Permission denied for ${GCP_ACCESS_TOKEN}` } });
      return json(res, 200, { token: makeJwt(emailClaims({ iss: 'https://accounts.google.com', aud: b.audience, email: decodeURIComponent(m[1]!) })) });
    });
  });
  after(async () => {
    await metadata.close();
    await iam.close();
  });

  it('gets an identity token from the metadata server on a Compute machine', async () => {
    flavor = true;
    seen.length = 0;
    const jwt = await detectGcp({ env: { GCE_METADATA_HOST: metadata.host }, gcpProductNameFile: productFile });
    assert.ok(jwt);
    assert.equal(JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).email, 'vm@proj.iam.gserviceaccount.com');
    assert.deepEqual(seen, ['GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=sigstore&format=full']);
    // The host may also come from the option.
    assert.ok(await detectGcp({ env: {}, gcpMetadataHost: metadata.host, gcpProductNameFile: productFile }));
  });

  it('impersonates GOOGLE_SERVICE_ACCOUNT_NAME through the IAM credentials API', async () => {
    flavor = true;
    seen.length = 0;
    const jwt = await detectGcp({
      env: { GOOGLE_SERVICE_ACCOUNT_NAME: 'signer@proj.iam.gserviceaccount.com', GCE_METADATA_HOST: metadata.host },
      iamCredentialsUrl: iam.url,
      gcpProductNameFile: join(tmp, 'absent'),
    });
    assert.equal(JSON.parse(Buffer.from(jwt!.split('.')[1]!, 'base64url').toString()).email, 'signer@proj.iam.gserviceaccount.com');
    assert.equal(seen.length, 2);
    assert.match(seen[0]!, /^GET \/computeMetadata\/v1\/instance\/service-accounts\/default\/token\?scopes=https%3A%2F%2Fwww\.googleapis\.com%2Fauth%2Fcloud-platform$/);
    assert.equal(seen[1], 'POST /v1/projects/-/serviceAccounts/signer@proj.iam.gserviceaccount.com:generateIdToken {"audience":"sigstore","includeEmail":true}');
  });

  it('reports an impersonation refusal without the access token', async () => {
    const err = await rejection(() =>
      detectGcp({ env: { GOOGLE_SERVICE_ACCOUNT_NAME: 'denied@proj.iam.gserviceaccount.com', GCE_METADATA_HOST: metadata.host }, iamCredentialsUrl: iam.url }),
    );
    assert.ok(err instanceof AmbientCredentialError);
    assert.equal(err.provider, 'gcp');
    assert.match(err.message, /^Google Cloud: generateIdToken request failed \(HTTP 403: .*Permission denied/);
    assert.ok(!err.message.includes(GCP_ACCESS_TOKEN), err.message);
    const bad = await rejection(() => detectGcp({ env: { GOOGLE_SERVICE_ACCOUNT_NAME: '../x', GCE_METADATA_HOST: metadata.host } }));
    assert.match(bad.message, /not a service account/);
  });

  it('refuses answers without Metadata-Flavor: Google', async () => {
    flavor = false;
    const err = await rejection(() => detectGcp({ env: { GCE_METADATA_HOST: metadata.host }, gcpProductNameFile: productFile }));
    assert.match(err.message, /did not come from a metadata server/);
    flavor = true;
  });

  it('is not detected elsewhere', async () => {
    assert.equal(await detectGcp({ env: { GCE_METADATA_HOST: metadata.host }, gcpProductNameFile: join(tmp, 'absent') }), undefined);
    const other = join(tmp, 'product_other');
    writeFileSync(other, 'Standard PC (Q35 + ICH9, 2009)\n');
    assert.equal(await detectGcp({ env: { GCE_METADATA_HOST: metadata.host }, gcpProductNameFile: other }), undefined);
  });

  it('refuses a metadata host that is not a host[:port]', async () => {
    const err = await rejection(() => detectGcp({ env: { GCE_METADATA_HOST: 'evil.example/path?' }, gcpProductNameFile: productFile }));
    assert.match(err.message, /not a host\[:port\]/);
  });
});

describe('GitLab CI', () => {
  it('reads the id_tokens variable named after the audience', async () => {
    assert.equal(await detectGitLab({ env: { GITLAB_CI: 'true', SIGSTORE_ID_TOKEN: 'tok' } }), 'tok');
    assert.equal(gitlabTokenVariable('sigstore'), 'SIGSTORE_ID_TOKEN');
    assert.equal(gitlabTokenVariable('http://test.audience'), 'HTTP___TEST_AUDIENCE_ID_TOKEN');
    assert.equal(gitlabTokenVariable('1aud'), '_AUD_ID_TOKEN');
    assert.equal(await detectGitLab({ env: { GITLAB_CI: 'true', HTTP___TEST_AUDIENCE_ID_TOKEN: 't2' }, audience: 'http://test.audience' }), 't2');
  });
  it('is not detected outside GitLab, and says which variable is missing inside', async () => {
    assert.equal(await detectGitLab({ env: { SIGSTORE_ID_TOKEN: 'tok' } }), undefined);
    const err = await rejection(() => detectGitLab({ env: { GITLAB_CI: 'true' } }));
    assert.equal(err.provider, 'gitlab');
    assert.match(err.message, /SIGSTORE_ID_TOKEN is not set .*id_tokens/);
  });
});

describe('Buildkite and CircleCI (fake agents on PATH)', () => {
  let bin: string;
  before(() => {
    bin = mkdtempSync(join(tmp, 'bin-'));
    // Each fake checks that it got exactly the documented arguments.
    fakeCommand(
      bin,
      'buildkite-agent',
      `if [ "$1 $2 $3 $4" = "oidc request-token --audience sigstore" ] && [ $# -eq 4 ]; then echo "${GH_JWT}"; exit 0; fi
if [ "$4" = "fail" ]; then echo "error: failed to get OIDC token: 403 ${GH_JWT}"; exit 3; fi
echo "bad arguments: $*" >&2; exit 64`,
    );
    fakeCommand(
      bin,
      'circleci',
      `if [ "$1 $2 $3 $4" = "run oidc get --claims" ] && [ "$5" = '{"aud":"sigstore"}' ] && [ $# -eq 5 ]; then printf '%s\\n' "${GH_JWT}"; exit 0; fi
echo "bad arguments: $*" >&2; exit 64`,
    );
  });
  const path = () => `${bin}:/usr/bin:/bin`;

  it('Buildkite: buildkite-agent oidc request-token --audience sigstore', async () => {
    assert.equal(await detectBuildkite({ env: { BUILDKITE: 'true', PATH: path() } }), GH_JWT);
    assert.equal(await detectBuildkite({ env: { PATH: path() } }), undefined);
  });

  it('Buildkite: a failing agent, or none on PATH', async () => {
    const err = await rejection(() => detectBuildkite({ env: { BUILDKITE: 'true', PATH: path() }, audience: 'fail' }));
    assert.equal(err.provider, 'buildkite');
    assert.match(err.message, /^Buildkite: `buildkite-agent` failed \(exit status 3\): error: failed to get OIDC token: 403/);
    assert.ok(!err.message.includes(GH_JWT.split('.')[1]!));
    const none = await rejection(() => detectBuildkite({ env: { BUILDKITE: 'true', PATH: join(tmp, 'nothing') } }));
    assert.match(none.message, /could not find `buildkite-agent` on PATH/);
  });

  it('CircleCI: circleci run oidc get --claims {"aud":"sigstore"}', async () => {
    assert.equal(await detectCircleCI({ env: { CIRCLECI: 'true', PATH: path() } }), GH_JWT);
    assert.equal(await detectCircleCI({ env: { PATH: path() } }), undefined);
    const err = await rejection(() => detectCircleCI({ env: { CIRCLECI: 'true', PATH: path() }, audience: 'other' }));
    assert.match(err.message, /^CircleCI: `circleci` failed \(exit status 64\): bad arguments/);
  });

  it('a hanging agent times out', async () => {
    const slow = mkdtempSync(join(tmp, 'slow-'));
    fakeCommand(slow, 'circleci', 'exec /bin/sleep 10');
    const err = await rejection(() => detectCircleCI({ env: { CIRCLECI: 'true', PATH: slow }, timeoutMs: 300 }));
    assert.match(err.message, /did not finish within/);
  });
});

describe('detection order and getIdentityToken', () => {
  let gh: Awaited<ReturnType<typeof serve>>;
  let hits = 0;
  before(async () => {
    gh = await serve((_req, res) => {
      hits++;
      json(res, 200, { value: GH_JWT });
    });
  });
  after(() => gh.close());
  const ghEnv = () => ({ GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: `${gh.url}/t?x=1`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req' });

  it("follows the id package's detect_credential: GitHub, Google Cloud, Buildkite, GitLab, CircleCI", async () => {
    assert.deepEqual(
      AMBIENT_PROVIDERS.map((p) => p.provider),
      ['github', 'gcp', 'buildkite', 'gitlab', 'circleci'],
    );
    const env = { ...ghEnv(), GITLAB_CI: 'true', SIGSTORE_ID_TOKEN: 'gitlab-token' };
    assert.deepEqual(await detectAmbientCredential({ env }), { provider: 'github', token: GH_JWT });
    assert.deepEqual(await detectAmbientCredential({ env, providers: ['gitlab', 'circleci'] }), { provider: 'gitlab', token: 'gitlab-token' });
    assert.equal(await detectAmbientCredential({ env: {}, gcpProductNameFile: join(tmp, 'absent') }), undefined);
  });

  it('an explicit token comes first, then SIGSTORE_IDENTITY_TOKEN, then ambient credentials', async () => {
    const explicit = makeJwt(emailClaims({ email: 'explicit@example.com' }));
    const fromEnv = makeJwt(emailClaims({ email: 'env@example.com' }));
    hits = 0;
    const env = { ...ghEnv(), SIGSTORE_IDENTITY_TOKEN: fromEnv };
    const a = await getIdentityToken({ identityToken: explicit, env, interactive: false });
    assert.equal(a.identity, 'explicit@example.com');
    assert.equal(a.source, 'from --identity-token');
    const b = await getIdentityToken({ env, interactive: false });
    assert.equal(b.identity, 'env@example.com');
    assert.equal(hits, 0, 'no ambient request when a token was given');
    const c = await getIdentityToken({ env: ghEnv(), interactive: false, ambient: { gcpProductNameFile: join(tmp, 'absent') } });
    assert.equal(c.identity, 'repo:octo/repo:ref:refs/heads/main');
    assert.equal(c.source, 'from GitHub Actions');
    assert.equal(hits, 1);
  });

  it('--oidc-disable-ambient-providers skips ambient credentials', async () => {
    hits = 0;
    const err = await rejection(() => getIdentityToken({ env: ghEnv(), disableAmbientProviders: true, interactive: false }));
    assert.equal(err.code, 'NO_IDENTITY_TOKEN');
    assert.equal(hits, 0);
  });

  it('refuses an expired or malformed token before any other request, with the reason and source', async () => {
    hits = 0;
    const t = now();
    const expired = makeJwt(emailClaims({ iat: t - 900, nbf: t - 900, exp: t - 300 }));
    const e1 = await rejection(() => getIdentityToken({ identityToken: expired, env: ghEnv() }));
    assert.ok(e1 instanceof IdentityError);
    assert.equal(e1.code, 'IDENTITY_TOKEN_EXPIRED');
    assert.match(e1.message, /^the identity token from --identity-token expired at /);
    const e2 = await rejection(() => getIdentityToken({ env: { ...ghEnv(), SIGSTORE_IDENTITY_TOKEN: 'garbage' } }));
    assert.equal(e2.code, 'IDENTITY_TOKEN_MALFORMED');
    assert.match(e2.message, /from SIGSTORE_IDENTITY_TOKEN is not a JWT/);
    assert.equal(hits, 0);
  });

  it('checks ambient tokens too', async () => {
    const wrongAud = makeJwt(githubClaims({ aud: 'other' }));
    const err = await rejection(() => getIdentityToken({ env: { GITLAB_CI: '1', SIGSTORE_ID_TOKEN: wrongAud }, ambient: { gcpProductNameFile: join(tmp, 'absent') } }));
    assert.equal(err.code, 'IDENTITY_TOKEN_AUDIENCE');
    assert.match(err.message, /from GitLab CI is for audience "other"/);
  });
});
