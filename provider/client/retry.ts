/**
 * The retry policy: which failures are retried and how long to wait, for every request the provider
 * sends (the API's and the OAuth token endpoint's). axios-retry drives the loop; this module decides,
 * and `clientRetryOptions`, `tokenRetryOptions` and `postRetryOptions` are the one place axios-retry
 * is configured.
 *
 * - 429 means the request was not processed. The scheduler (scheduler.ts) holds and re-sends it
 *   without spending these retries; only a 429 it gave up on reaches this policy, and is retried
 *   whatever the method.
 * - 5xx and lost connections are retried for requests that are safe to repeat: GET, PATCH, DELETE,
 *   and POSTs whose caller says how a repeat is safe (`PostRepeat`): always (adding a group member:
 *   a repeat answers 409; a token request: the server decides), or only after a check that the first
 *   attempt left nothing behind (`POST /users`: the e-mail is looked up before each repeat, so a lost
 *   create answer never makes a second user).
 * - A 401 is renewed once, not retried: an OAuth credential gets a new access token and the attempt
 *   is sent once more (request.ts); a fixed credential fails at once, saying which one was refused.
 * - Statuses in DO_NOT_RETRY are answers, not accidents: repeating them changes nothing.
 */
import { isAxiosError, type AxiosError } from "axios";
import type { IAxiosRetryConfig } from "axios-retry";
import { DEFAULTS } from "../defaults";

/** Defaults of the policy; `travelperk:maxRetries` and `travelperk:retryBaseDelayMs` override two. */
export const RETRY_DEFAULTS = DEFAULTS.retry;

/** Statuses that are final answers: never retried (501 and 505 are 5xx, but say "never here", not "not now"). */
export const DO_NOT_RETRY: readonly number[] = [400, 401, 403, 404, 409, 410, 422, 451, 501, 505];

const SAFE_METHODS = new Set(["get", "head", "options", "put", "patch", "delete"]);

/**
 * Whether a POST may be sent again after a 5xx or a lost connection: `false` never (the default),
 * `true` always, or `{ unlessLanded }`: only when the check, run before each repeat, says the first
 * attempt did not land (it resolves true when it did; the caller keeps what it found).
 */
export type PostRepeat = boolean | { unlessLanded: () => Promise<boolean> };

/** The failure of one attempt, as far as the policy reads it. */
type Failure = Pick<AxiosError, "response" | "config" | "code">;

/**
 * Whether a failed request may be sent again. `repeat` says how a POST may be repeated; a check it
 * carries runs only for a failure that would otherwise be retried, and makes the answer a promise.
 */
export function isRetryable(error: Failure, repeat: PostRepeat = false): boolean | Promise<boolean> {
  const status = error.response?.status;
  if (status === 429) return true;
  if (status !== undefined && DO_NOT_RETRY.includes(status)) return false;
  const transient = status === undefined ? error.code !== "ERR_CANCELED" : status >= 500;
  if (!transient) return false;
  if (SAFE_METHODS.has((error.config?.method ?? "get").toLowerCase())) return true;
  if (typeof repeat === "boolean") return repeat;
  return repeat.unlessLanded().then((landed) => !landed);
}

/**
 * A 401: the credential was refused before anything was processed. An attempt with a renewable
 * credential (OAuth) renews it once and is sent once more, whatever the method (request.ts).
 */
export function isCredentialRejected(error: unknown): boolean {
  return isAxiosError(error) && error.response?.status === 401;
}

function header(error: Pick<AxiosError, "response">, name: string): string | undefined {
  const headers = error.response?.headers as Record<string, unknown> | undefined;
  const value = headers?.[name];
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

/**
 * The delay the server asked for, in ms: `Retry-After` (seconds or an HTTP date), else a reset header
 * (`X-RateLimit-Reset` / `RateLimit-Reset`: seconds from now, or an epoch time in seconds).
 */
export function serverRequestedDelayMs(error: Pick<AxiosError, "response">, now = Date.now()): number | undefined {
  const retryAfter = header(error, "retry-after");
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = header(error, "x-ratelimit-reset") ?? header(error, "ratelimit-reset");
  if (reset !== undefined) {
    const value = Number(reset);
    if (Number.isFinite(value)) {
      // Epoch seconds are large; a delta is small. 10^9 s is 2001, far beyond any sane delta.
      return Math.max(0, value > 1e9 ? value * 1000 - now : value * 1000);
    }
  }
  return undefined;
}

/** Exponential backoff with full jitter: a random wait in [0, min(cap, base·2^(attempt-1))]. */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** The wait before retry number `attempt` (1-based). */
export function retryDelayMs(
  attempt: number,
  error: Pick<AxiosError, "response">,
  baseDelayMs = RETRY_DEFAULTS.baseDelayMs,
  random = Math.random,
): number {
  const requested = serverRequestedDelayMs(error);
  if (requested !== undefined) return Math.min(requested, RETRY_DEFAULTS.maxServerDelayMs);
  return backoffDelayMs(attempt, baseDelayMs, RETRY_DEFAULTS.maxDelayMs, random);
}

/** axios-retry's options for an axios instance: every request it sends follows this policy. */
export function clientRetryOptions(retries: number, baseDelayMs: number): IAxiosRetryConfig {
  return {
    retries,
    retryCondition: (error) => isRetryable(error),
    retryDelay: (attempt, error) => retryDelayMs(attempt, error, baseDelayMs),
    shouldResetTimeout: true,
  };
}

/**
 * axios-retry's options for the OAuth token endpoint: a lost answer or a 5xx is asked again (the
 * server decides what a repeat means), but every attempt and wait fits in the first attempt's timeout:
 * the grant runs under the token cache's lock, which other processes wait on, and a refresh that
 * timed out may have been spent already.
 */
export function tokenRetryOptions(): IAxiosRetryConfig {
  return {
    retries: RETRY_DEFAULTS.tokenRetries,
    retryCondition: (error) => isRetryable(error, true),
    retryDelay: (attempt, error) => retryDelayMs(attempt, error, RETRY_DEFAULTS.tokenBaseDelayMs),
    shouldResetTimeout: false,
  };
}

/** axios-retry's options for one POST, merged over its instance's: how it may be repeated. */
export function postRetryOptions(repeat: PostRepeat): IAxiosRetryConfig {
  return { retryCondition: (error) => isRetryable(error, repeat) };
}
