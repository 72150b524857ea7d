/**
 * Identities the instance's OIDC provider issues tokens for, and the claims it puts in them:
 * an email address (email + email_verified), a GitHub Actions workflow URI (GitHub-style claims,
 * as token.actions.githubusercontent.com issues them), or any other URI (sub only).
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export type Identity =
  | { kind: 'email'; value: string }
  | {
      kind: 'github';
      value: string;
      /** https://github.com (the server the workflow URI names). */
      server: string;
      owner: string;
      repo: string;
      /** .github/workflows/release.yml */
      workflowPath: string;
      /** refs/heads/main */
      ref: string;
    }
  | { kind: 'uri'; value: string };

/** The default identity of a new instance. */
export const DEFAULT_IDENTITY = 'signer@example.com';

const EMAIL_RE = /^[^\s@/]+@[^\s@/]+\.[^\s@/]+$/;
const GITHUB_RE = /^(https:\/\/[^/]+)\/([^/]+)\/([^/]+)\/(\.github\/workflows\/[^@]+)@(refs\/.+)$/;

/**
 * Parses `--identity`: an email address, a GitHub workflow URI
 * (`https://github.com/OWNER/REPO/.github/workflows/FILE@refs/heads/BRANCH`) or another URI.
 */
export function parseIdentity(s: string): Identity {
  if (EMAIL_RE.test(s)) return { kind: 'email', value: s };
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new UsageError('USAGE', `identity ${JSON.stringify(s)} is neither an email address nor a URI`);
  }
  if (!/^[a-z][a-z0-9+.-]*:$/.test(url.protocol)) throw new UsageError('USAGE', `identity ${JSON.stringify(s)} is not a valid URI`);
  const m = GITHUB_RE.exec(s);
  if (m) return { kind: 'github', value: s, server: m[1]!, owner: m[2]!, repo: m[3]!, workflowPath: m[4]!, ref: m[5]! };
  return { kind: 'uri', value: s };
}

/** A stable fake number derived from `s` (repository IDs and the like). */
function fakeId(s: string, digits = 9): string {
  const n = createHash('sha256').update(s).digest().readUInt32BE(0);
  return String(100000000 + (n % 900000000)).slice(0, digits);
}

/** The identity claims (without iss/aud/exp/iat) for a token issued to `id`. */
export function identityClaims(id: Identity): Record<string, unknown> {
  switch (id.kind) {
    case 'email':
      return { sub: fakeId(`sub:${id.value}`, 9), email: id.value, email_verified: true };
    case 'uri':
      return { sub: id.value };
    case 'github': {
      const repository = `${id.owner}/${id.repo}`;
      const sha = createHash('sha1').update(`commit:${id.value}`).digest('hex');
      const workflowRef = `${repository}/${id.workflowPath}@${id.ref}`;
      const file = id.workflowPath.split('/').pop() ?? 'workflow';
      const runId = fakeId(`run:${id.value}`, 9);
      return {
        sub: `repo:${repository}:ref:${id.ref}`,
        ref: id.ref,
        ref_type: id.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
        sha,
        repository,
        repository_id: fakeId(`repo:${repository}`),
        repository_owner: id.owner,
        repository_owner_id: fakeId(`owner:${id.owner}`),
        repository_visibility: 'public',
        run_id: runId,
        run_number: '1',
        run_attempt: '1',
        runner_environment: 'github-hosted',
        actor: id.owner,
        actor_id: fakeId(`owner:${id.owner}`),
        workflow: file.replace(/\.ya?ml$/, ''),
        workflow_ref: workflowRef,
        workflow_sha: sha,
        job_workflow_ref: workflowRef,
        job_workflow_sha: sha,
        event_name: 'push',
        // Not a GitHub claim: where the workflow URIs point (GitHub Enterprise has other hosts).
        server_url: id.server,
      };
    }
  }
}
