/**
 * What the GitHub Action reports: step outputs (`GITHUB_OUTPUT`, multi-line values in the
 * runner's `NAME<<DELIMITER` form) and the job summary (`GITHUB_STEP_SUMMARY`, Markdown: each
 * file, its bundle, its transparency log entry and the signing identity).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { parseBundle } from '../bundle/parse.js';
import { certificateSigner } from '../verify/extensions.js';

/** One signed file, as read back from its bundle. */
export interface Signed {
  input: string;
  bundle: string;
  /** `Rekor v1 entry 12345 (https://rekor.sigstore.dev)`, one per log entry. */
  logEntries: string[];
  identity: string;
  issuer: string;
}

const PUBLIC_GOOD_SEARCH = new Map([
  ['https://rekor.sigstore.dev', 'https://search.sigstore.dev/?logIndex='],
  ['https://rekor.sigstage.dev', 'https://search.sigstage.dev/?logIndex='],
]);

/** Reads what the summary shows out of a bundle the action just wrote (and the CLI verified). */
export function describeBundle(input: string, bundlePath: string, logUrls: Map<string, string>): Signed {
  const b = parseBundle(readFileSync(bundlePath, 'utf8'));
  const signer = b.material.kind === 'certificate' ? certificateSigner(b.material.certificate) : undefined;
  const logEntries = b.tlogEntries.map((e) => {
    const url = logUrls.get(e.logId.toString('base64'));
    const search = url ? PUBLIC_GOOD_SEARCH.get(url) : undefined;
    const index = e.logIndex.toString();
    const where = search ? `[${index}](${search}${index})` : index;
    return `Rekor ${e.kind} ${e.version} entry ${where}${url ? ` (${url})` : ''}`;
  });
  return { input, bundle: bundlePath, logEntries, identity: signer?.identity ?? '(managed key)', issuer: signer?.issuer ?? '' };
}

/** Markdown table cell: no pipes or newlines from file names. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** The job summary section of one run. */
export function summaryMarkdown(signed: Signed[], opts: { attest: boolean; verified: boolean | undefined }): string {
  const lines = [
    `## sigstore-ts: ${signed.length} file${signed.length === 1 ? '' : 's'} ${opts.attest ? 'attested' : 'signed'}`,
    '',
    '| File | Bundle | Transparency log | Identity |',
    '| --- | --- | --- | --- |',
    ...signed.map((s) => `| \`${cell(s.input)}\` | \`${cell(s.bundle)}\` | ${cell(s.logEntries.join('<br>'))} | ${cell(s.identity)}${s.issuer ? ` (${cell(s.issuer)})` : ''} |`),
    '',
  ];
  if (opts.verified !== undefined) lines.push(opts.verified ? 'Verification: every bundle verified.' : 'Verification: **failed** (see the log).', '');
  return `${lines.join('\n')}\n`;
}

/** Appends `name` = `value` to the runner's output file (multi-line safe). */
export function setOutput(file: string | undefined, name: string, value: string): void {
  if (!file) return;
  let delimiter = `ghadelimiter_${randomBytes(12).toString('hex')}`;
  while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomBytes(12).toString('hex')}`;
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

/** Appends Markdown to the job summary. */
export function appendSummary(file: string | undefined, markdown: string): void {
  if (file) appendFileSync(file, markdown);
}
