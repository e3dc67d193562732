/**
 * Every tunable default of the provider, in one frozen object: what a setting falls back to when
 * neither the stack config nor the environment sets it. config.ts (and the endpoints.ts and
 * setting-values.ts it assembles) reads its fallbacks here and only here; the retry policy (client/retry.ts, `RETRY_DEFAULTS`) and the pace (client/scheduler,
 * `RATE_CONTROL`) are these objects. The README's Configuration table lists the same values: change
 * both together.
 */

/** Freezes an object without narrowing its fields to literal types (a default is a number, not `8`). */
function frozen<T extends object>(value: T): Readonly<T> {
  return Object.freeze(value);
}

export const DEFAULTS = frozen({
  /** Base URL of the TravelPerk API (`travelperk:apiUrl`). */
  apiUrl: "https://app.travelperk.com/api/v2",
  /** OAuth endpoints, under the origin of the API URL (`travelperk:authorizeUrl`, `travelperk:tokenUrl`). */
  authorizePath: "/oauth2/authorize",
  tokenPath: "/oauth2/token",
  /** The SCIM API, under the origin of the API URL: the guide's layout (`travelperk:scimUrl`). */
  scimPath: "/api/scim/v2",
  /** Which API carries user and membership operations (`travelperk:userApi`). */
  userApi: "rest" as const,
  /** The shared token cache, under `$XDG_CACHE_HOME` (else `~/.cache`) (`travelperk:tokenCache`). */
  tokenCacheFile: ["pulumi-travelperk", "tokens.json"] as readonly string[],
  /** Timeout of each attempt, ms (`travelperk:requestTimeoutMs`). */
  requestTimeoutMs: 30_000,
  /** Requests in flight at once, across all resources of the process (`travelperk:maxConcurrentRequests`). */
  maxConcurrentRequests: 8,
  /** The retry policy (client/retry.ts); `travelperk:maxRetries` and `travelperk:retryBaseDelayMs` override two. */
  retry: frozen({
    /** Retries of a failed request. */
    retries: 8,
    /** First backoff step, ms. */
    baseDelayMs: 500,
    /** Cap of one computed backoff step, ms. */
    maxDelayMs: 30_000,
    /** Cap of a delay the server asks for (Retry-After or a reset header), ms. */
    maxServerDelayMs: 120_000,
    /** Retries of a token request (the OAuth token endpoint): few and quick, all within one timeout. */
    tokenRetries: 3,
    /** First backoff step of a token request, ms. */
    tokenBaseDelayMs: 200,
  }),
  /**
   * The parameters of the pace (client/scheduler), named and documented; `travelperk:rateControl`
   * overrides each (its keys are these).
   */
  pace: frozen({
    /** 429 answers in a row (no acceptance between) that close a window; fewer are noise. */
    closeAfter: 3,
    /** Beyond the common periods (up to an hour), probes at growing gaps: the first this long, ms... */
    firstProbeMs: 25,
    /** ...and each later gap this many times the previous one. */
    probeGrowth: 1.5,
    /** A predicted opening known to within max(ms, share of the window) is sent to at its latest bound. */
    openingToleranceMs: 10,
    openingToleranceShare: 0.03,
    /** Sent this long after a predicted or hinted opening, for clock and transit differences, ms. */
    openingMarginMs: 5,
    /** Two window budgets within this share of each other confirm the window model. */
    budgetAgreement: 0.25,
    /** Every this many windows of a confirmed model, one request beyond the budget. */
    budgetProbeEvery: 4,
    /** A re-opened window accepting less than this share of the first one: a refilling bucket. */
    bucketShare: 0.5,
    /** Bucket mirror: the measured rate is used times this (a little under, so 429s stay rare)... */
    bucketRateGain: 0.98,
    /** ...and raised by this share per quiet second, in case the limit is higher. */
    bucketProbeUp: 0.1,
    /** 429s of one request absorbed by the scheduler before it gives the answer to the caller. */
    maxRateLimitedAttempts: 60,
    /** The backoff of a request whose 429 is not explained by a limit: full jitter from this base, ms... */
    backoffBaseMs: 50,
    /** ...capped at this, ms. */
    backoffMaxMs: 5_000,
    /** Cap of a wait a server hint asks for, ms. */
    maxServerDelayMs: 120_000,
  }),
});

/** The pace's parameters (`RATE_CONTROL`); `travelperk:rateControl` overrides any of them. */
export type RateControl = typeof DEFAULTS.pace;
