/**
 * Test helpers for signing: a local Sigstore instance started in-process in a temporary
 * directory, its trust material parsed, and Signer factories.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClientTrustConfig } from '../../src/trust/client-config.js';
import type { ClientTrustConfig } from '../../src/trust/client-config.js';
import { parseSigningConfig } from '../../src/trust/signing-config.js';
import { Signer, type SignerOptions } from '../../src/sign/signer.js';
import { type SigstoreInstance, startInstance } from '../../src/instance/index.js';

export interface TestInstance {
  inst: SigstoreInstance;
  dir: string;
  trustConfig: ClientTrustConfig;
  trustConfigPath: string;
  stop(): Promise<void>;
}

export async function startTestInstance(): Promise<TestInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'sigstore-sign-'));
  const inst = await startInstance({ dataDir: join(dir, 'instance'), port: 0 });
  const trustConfig = parseClientTrustConfig(inst.trustConfig, 'local instance');
  const trustConfigPath = join(dir, 'trust_config.json');
  writeFileSync(trustConfigPath, JSON.stringify(inst.trustConfig));
  return {
    inst,
    dir,
    trustConfig,
    trustConfigPath,
    async stop() {
      await inst.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A trust config whose signing config is altered by `edit` (and written to a file). */
export function withSigningConfig(t: TestInstance, edit: (sc: Record<string, unknown>) => void, name = 'edited.json'): { config: ClientTrustConfig; path: string } {
  const json = t.inst.trustConfig as Record<string, unknown>;
  const sc = json.signingConfig as Record<string, unknown>;
  edit(sc);
  const path = join(t.dir, name);
  writeFileSync(path, JSON.stringify(json));
  return { config: { ...t.trustConfig, signingConfig: parseSigningConfig(sc, name) }, path };
}

export function signer(t: TestInstance, options: Partial<SignerOptions> = {}): Signer {
  return new Signer({ trustConfig: t.trustConfig, tokenProvider: () => t.inst.token(), ...options });
}

/** The instance's trust config with every signing service behind `proxyUrl`. */
export function viaProxy(t: TestInstance, proxyUrl: string, edit: (sc: Record<string, unknown>) => void = () => {}, name = 'proxied.json'): { config: ClientTrustConfig; path: string } {
  return withSigningConfig(
    t,
    (sc) => {
      for (const k of ['caUrls', 'rekorTlogUrls', 'tsaUrls']) {
        for (const s of sc[k] as { url: string }[]) s.url = s.url.replace(t.inst.url, proxyUrl);
      }
      edit(sc);
    },
    name,
  );
}

/** Keeps only the Rekor logs of one API version (and optionally drops the TSAs). */
export function onlyRekor(version: 1 | 2, tsa = true): (sc: Record<string, unknown>) => void {
  return (sc) => {
    sc.rekorTlogUrls = (sc.rekorTlogUrls as { majorApiVersion: number }[]).filter((r) => r.majorApiVersion === version);
    if (!tsa) {
      sc.tsaUrls = [];
      delete sc.tsaConfig;
    }
  };
}
