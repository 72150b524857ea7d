/** HTTP settings shared by the signing clients (Fulcio, Rekor, TSA). */
import type { HttpRequest } from '../lib/http.js';

/**
 * Per-request HTTP settings of the signing clients.
 *
 * @example
 * ```ts
 * const http: ClientOptions = { timeoutMs: 10_000, attempts: 5, backoffMs: 500 };
 * ```
 */
export interface ClientOptions {
  /** Per-attempt timeout in ms (default 30 s). */
  timeoutMs?: number;
  /** Attempts for transient failures (default 4). */
  attempts?: number;
  /** First backoff delay in ms (default 250, doubling, capped at 4 s). */
  backoffMs?: number;
}

/** The defined settings, to spread into an {@link HttpRequest}. */
export function httpSettings(o: ClientOptions = {}): Pick<HttpRequest, 'timeoutMs' | 'attempts' | 'backoffMs'> {
  const out: Pick<HttpRequest, 'timeoutMs' | 'attempts' | 'backoffMs'> = {};
  if (o.timeoutMs !== undefined) out.timeoutMs = o.timeoutMs;
  if (o.attempts !== undefined) out.attempts = o.attempts;
  if (o.backoffMs !== undefined) out.backoffMs = o.backoffMs;
  return out;
}
