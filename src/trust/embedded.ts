/**
 * The Sigstore public-good trust material shipped inside the package (see trust/README.md):
 * TUF roots, trusted roots and signing configs (the default one and the opt-in Rekor v2 one)
 * for production and staging. Bundled into the JavaScript at build time, so reading it costs
 * no file system access. Each file matches the signed `targets.json` beside it (checked by
 * test/trust/embedded.test.ts); `targets.json` itself is not bundled.
 */
import productionRoot from '../../trust/production/root.json' with { type: 'json' };
import productionSigningConfig from '../../trust/production/signing_config.v0.2.json' with { type: 'json' };
import productionRekorV2SigningConfig from '../../trust/production/signing_config_rekor_v2.v0.2.json' with { type: 'json' };
import productionTrustedRoot from '../../trust/production/trusted_root.json' with { type: 'json' };
import stagingRoot from '../../trust/staging/root.json' with { type: 'json' };
import stagingSigningConfig from '../../trust/staging/signing_config.v0.2.json' with { type: 'json' };
import stagingRekorV2SigningConfig from '../../trust/staging/signing_config_rekor_v2.v0.2.json' with { type: 'json' };
import stagingTrustedRoot from '../../trust/staging/trusted_root.json' with { type: 'json' };

/** A public-good Sigstore instance. */
export type PublicInstance = 'production' | 'staging';

export interface EmbeddedTrust {
  /** TUF repository URL. */
  tufUrl: string;
  /** TUF root metadata to bootstrap from. */
  tufRoot: unknown;
  trustedRoot: Record<string, unknown>;
  /** The default signing config (`signing_config.v0.2.json`). */
  signingConfig: Record<string, unknown>;
  /** The opt-in signing config that adds the instance's Rekor v2 log (`signing_config_rekor_v2.v0.2.json`). */
  rekorV2SigningConfig: Record<string, unknown>;
}

export const EMBEDDED: Record<PublicInstance, EmbeddedTrust> = {
  production: {
    tufUrl: 'https://tuf-repo-cdn.sigstore.dev',
    tufRoot: productionRoot,
    trustedRoot: productionTrustedRoot,
    signingConfig: productionSigningConfig,
    rekorV2SigningConfig: productionRekorV2SigningConfig,
  },
  staging: {
    tufUrl: 'https://tuf-repo-cdn.sigstage.dev',
    tufRoot: stagingRoot,
    trustedRoot: stagingTrustedRoot,
    signingConfig: stagingSigningConfig,
    rekorV2SigningConfig: stagingRekorV2SigningConfig,
  },
};
