/**
 * Service selection from a signing config, as the protobuf-specs rules say: keep the services
 * valid now whose API version the client speaks, use only the highest such version, prefer the
 * newest validity start, take at most one service per operator, then apply the selector (`ANY`:
 * one, `ALL`: all, `EXACT`: exactly `count`, an error when there are fewer).
 */
import { TrustError } from '../errors.js';
import type { Service, ServiceSelector } from '../trust/signing-config.js';
import { within } from '../trust/trusted-root.js';

/**
 * What a selection may use.
 *
 * @example
 * ```ts
 * const rekor: SelectOptions = { versions: [2, 1], now: new Date() };
 * ```
 */
export interface SelectOptions {
  /** API versions the client speaks, most preferred first (the highest offered is used). */
  versions: number[];
  /** The time services must be valid at (default now). */
  now?: Date;
  /** For messages: "Rekor log", "timestamp authority", ... */
  what: string;
  /** For messages: where the services come from. */
  source?: string;
}

function candidates(services: Service[], options: SelectOptions): { version: number; services: Service[] } {
  const now = options.now ?? new Date();
  const valid = services.filter((s) => within(s.validFor, now));
  const offered = [...new Set(valid.map((s) => s.majorApiVersion))];
  const version = [...options.versions].sort((a, b) => b - a).find((v) => offered.includes(v));
  if (version === undefined) {
    const from = options.source ? ` in ${options.source}` : '';
    const versions = options.versions.map((v) => `v${v}`).join(' or ');
    const detail =
      services.length === 0
        ? 'none is configured'
        : valid.length === 0
          ? `none of the ${services.length} configured is valid at ${now.toISOString()}`
          : `those valid now speak ${offered.map((v) => `v${v}`).join(', ')}`;
    throw new TrustError('NO_SERVICE', `no usable ${options.what}${from}: need API ${versions}, but ${detail}`);
  }
  // Newest validity start first (stable, so the config's own order breaks ties).
  const ofVersion = valid
    .filter((s) => s.majorApiVersion === version)
    .map((s, i) => ({ s, i }))
    .sort((a, b) => b.s.validFor.start.getTime() - a.s.validFor.start.getTime() || a.i - b.i)
    .map((x) => x.s);
  // At most one service per operator.
  const seen = new Set<string>();
  const out: Service[] = [];
  for (const s of ofVersion) {
    const op = s.operator || `url:${s.url}`;
    if (seen.has(op)) continue;
    seen.add(op);
    out.push(s);
  }
  return { version, services: out };
}

/**
 * Selects the one service to use (Fulcio, OIDC): the newest valid one of the highest supported
 * API version. Throws {@link TrustError} `NO_SERVICE` when there is none.
 *
 * @example
 * ```ts
 * const fulcio = selectService(config.caUrls, { versions: [1], what: 'Fulcio CA' });
 * ```
 */
export function selectService(services: Service[], options: SelectOptions): Service {
  return candidates(services, options).services[0]!;
}

/**
 * Selects the services to use (Rekor logs, TSAs) with a selector. Throws {@link TrustError}
 * `NO_SERVICE` when none qualifies, or when `EXACT` asks for more than there are.
 *
 * @example
 * ```ts
 * const logs = selectServices(config.rekorTlogUrls, config.rekorTlogConfig, { versions: [2, 1], what: 'Rekor log' });
 * ```
 */
export function selectServices(services: Service[], selector: ServiceSelector, options: SelectOptions): Service[] {
  const { services: usable } = candidates(services, options);
  switch (selector.selector) {
    case 'ANY':
      return usable.slice(0, 1);
    case 'ALL':
      return usable;
    case 'EXACT':
      if (usable.length < selector.count) {
        throw new TrustError(
          'NO_SERVICE',
          `the signing config${options.source ? ` ${options.source}` : ''} asks for exactly ${selector.count} ${options.what}s, but only ${usable.length} ${usable.length === 1 ? 'is' : 'are'} usable (valid now, one per operator)`,
        );
      }
      return usable.slice(0, selector.count);
  }
}
