/**
 * One client process of the load campaign (test/campaigns/load.ts): signs (hashedrekord) and
 * attests (DSSE) unique payloads against the local instance until a deadline, and appends every
 * acknowledged entry (a bundle returned by the Signer, so verified) to its record file as one
 * JSON line: Rekor version, log index, canonicalized body. Failures (the instance is killed
 * mid-run) are counted and retried.
 *
 * Usage: node --import tsx test/campaigns/load-client.ts TRUST_CONFIG URL REKOR_VERSION DEADLINE_MS RECORD_FILE ID [CONCURRENCY]
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Signer } from '../../src/sign/signer.js';
import { parseClientTrustConfig } from '../../src/trust/client-config.js';

const [trustConfigPath, url, versionText, deadlineText, recordFile, id, concurrencyText] = process.argv.slice(2) as string[];
const version = Number(versionText) as 1 | 2;
const deadline = Number(deadlineText);
const concurrency = Number(concurrencyText ?? 2);

async function token(): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'sigstore' });
  const res = await fetch(`${url}/oauth2/token`, { method: 'POST', body: form, signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { id_token?: string };
  if (!body.id_token) throw new Error(`no token: HTTP ${res.status}`);
  return body.id_token;
}

const trustConfig = parseClientTrustConfig(readFileSync(trustConfigPath!, 'utf8'), trustConfigPath);
const signer = new Signer({ trustConfig, tokenProvider: token, rekorVersion: version, http: { attempts: 4, backoffMs: 200, timeoutMs: 5000 } });
const stats = { acknowledged: 0, failures: 0, lastError: '' };
let n = 0;

async function worker(w: number): Promise<void> {
  while (Date.now() < deadline) {
    const i = n++;
    const payload = Buffer.from(`load client ${id} worker ${w} payload ${i} ${Date.now()} ${Math.random()}`);
    try {
      const bundle =
        i % 2 === 0
          ? await signer.sign({ data: payload })
          : await signer.attest({
              _type: 'https://in-toto.io/Statement/v1',
              subject: [{ name: `payload-${i}`, digest: { sha256: createHash('sha256').update(payload).digest('hex') } }],
              predicateType: 'https://sigstore-ts.local/load/v1',
              predicate: { client: id, i },
            });
      const e = (bundle.verificationMaterial as { tlogEntries: { logIndex: string; canonicalizedBody: string; inclusionProof?: { checkpoint?: { envelope?: string } } }[] }).tlogEntries[0]!;
      // The tree head the log handed out with it: the final tree must be consistent with it.
      const checkpoint = e.inclusionProof?.checkpoint?.envelope;
      appendFileSync(recordFile!, `${JSON.stringify({ version, logIndex: e.logIndex, body: e.canonicalizedBody, checkpoint, at: Date.now() })}\n`);
      stats.acknowledged++;
    } catch (err) {
      stats.failures++;
      stats.lastError = (err as Error)?.message ?? String(err);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
writeFileSync(`${recordFile}.stats`, JSON.stringify(stats));
