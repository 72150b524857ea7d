/**
 * Publisher pins: the Trusted Publisher each project was seen published by, recorded by a first
 * audit (`--pin FILE`) and expected by later ones, so a project whose publisher changes (a
 * taken-over project, a moved release pipeline) fails loudly until the change is accepted
 * (`--update-pins`). The file is small, sorted JSON meant to be reviewed and committed:
 *
 * ```json
 * {
 *   "version": 1,
 *   "projects": {
 *     "gitlab-oidc-project": { "kind": "GitLab", "repository": "facutuesca/gitlab-oidc-project", "workflow": ".gitlab-ci.yml" },
 *     "pypi-attestations": { "kind": "GitHub", "repository": "trailofbits/pypi-attestations", "workflow": "release.yml" },
 *     "some-gcp-project": { "kind": "Google", "email": "publisher@project.iam.gserviceaccount.com" }
 *   }
 * }
 * ```
 *
 * Keys are PEP 503 normalised project names. A GitHub pin's `workflow` is the workflow file
 * name (under `.github/workflows/`), a GitLab pin's the CI configuration path. The environment
 * a publisher names is not pinned.
 */
import { SigstoreError } from '../errors.js';
import { type Fail, obj, parseJson, str } from '../lib/json.js';
import { normalizeProjectName } from './distribution.js';
import type { Publisher } from './publisher.js';

/**
 * What is pinned of a Trusted Publisher.
 *
 * @example
 * ```ts
 * const pin: PublisherPin = { kind: 'GitHub', repository: 'trailofbits/pypi-attestations', workflow: 'release.yml' };
 * ```
 */
export type PublisherPin = { kind: 'GitHub' | 'GitLab'; repository: string; workflow: string } | { kind: 'Google'; email: string };

/**
 * A pin file's content: project name (normalised) to publisher.
 *
 * @example
 * ```ts
 * const pins: Pins = { version: 1, projects: { 'pypi-attestations': { kind: 'GitHub', repository: 'trailofbits/pypi-attestations', workflow: 'release.yml' } } };
 * ```
 */
export interface Pins {
  version: 1;
  projects: Record<string, PublisherPin>;
}

/** The pin of a publisher. */
export function pinOf(p: Publisher): PublisherPin {
  switch (p.kind) {
    case 'GitHub':
      return { kind: p.kind, repository: p.repository, workflow: p.workflow };
    case 'GitLab':
      return { kind: p.kind, repository: p.repository, workflow: p.workflow_filepath };
    case 'Google':
      return { kind: p.kind, email: p.email };
  }
}

/** Whether two pins name the same publisher (GitHub repository names compare case-insensitively, as GitHub does). */
export function samePin(a: PublisherPin, b: PublisherPin): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'Google' || b.kind === 'Google') return a.kind === 'Google' && b.kind === 'Google' && a.email.toLowerCase() === b.email.toLowerCase();
  const repoEq = a.kind === 'GitHub' ? a.repository.toLowerCase() === b.repository.toLowerCase() : a.repository === b.repository;
  return repoEq && a.workflow === b.workflow;
}

/** A pin in words: `GitHub trailofbits/pypi-attestations (workflow release.yml)`. */
export function describePin(p: PublisherPin): string {
  if (p.kind === 'Google') return `Google service account ${p.email}`;
  return `${p.kind} ${p.repository} (${p.kind === 'GitHub' ? 'workflow' : 'CI config'} ${p.workflow})`;
}

/**
 * Reads a pin file's text strictly. Throws a SigstoreError (code `PINS_INVALID`) naming the bad field.
 *
 * @example
 * ```ts
 * const pins = parsePins(readFileSync('pypi-publishers.json', 'utf8'), 'pypi-publishers.json');
 * ```
 */
export function parsePins(text: string, what: string): Pins {
  const fail: Fail = (m) => {
    throw new SigstoreError('PINS_INVALID', `invalid pin file ${what}: ${m}`);
  };
  const o = obj(parseJson(text, 'the pin file', fail), 'the pin file', fail);
  if (o.version !== 1) fail(`version must be 1 (is ${JSON.stringify(o.version ?? null)})`);
  const projects = obj(o.projects, 'projects', fail);
  const out: Record<string, PublisherPin> = {};
  for (const [name, v] of Object.entries(projects)) {
    const p = `projects.${name}`;
    if (normalizeProjectName(name) !== name || !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(name)) fail(`${p}: project names are written normalised (${normalizeProjectName(name)})`);
    const e = obj(v, p, fail);
    const keys = Object.keys(e).sort().join(',');
    if (e.kind === 'GitHub' || e.kind === 'GitLab') {
      if (keys !== 'kind,repository,workflow') fail(`${p} must have exactly kind, repository and workflow`);
      out[name] = { kind: e.kind, repository: str(e.repository, `${p}.repository`, fail), workflow: str(e.workflow, `${p}.workflow`, fail) };
    } else if (e.kind === 'Google') {
      if (keys !== 'email,kind') fail(`${p} must have exactly kind and email`);
      out[name] = { kind: 'Google', email: str(e.email, `${p}.email`, fail) };
    } else {
      fail(`${p}.kind must be GitHub, GitLab or Google`);
    }
  }
  return { version: 1, projects: out };
}

/** The pin file's text: projects sorted by name, one line each, so changes review as one-line diffs. */
export function serializePins(pins: Pins): string {
  const names = Object.keys(pins.projects).sort();
  const line = (p: PublisherPin) =>
    p.kind === 'Google'
      ? `{ "kind": "Google", "email": ${JSON.stringify(p.email)} }`
      : `{ "kind": ${JSON.stringify(p.kind)}, "repository": ${JSON.stringify(p.repository)}, "workflow": ${JSON.stringify(p.workflow)} }`;
  const body = names.map((n, i) => `    ${JSON.stringify(n)}: ${line(pins.projects[n]!)}${i < names.length - 1 ? ',' : ''}`).join('\n');
  return `{\n  "version": 1,\n  "projects": {${names.length ? `\n${body}\n  ` : ''}}\n}\n`;
}
