/**
 * The sandbox server's options: what each one does, its default and which real server's behaviour it
 * imitates, which of them may change while the server runs (the knobs), and their validation. Kept
 * apart from the HTTP layer so that a newcomer finds every knob, and its rules, in one file.
 */
import { checkLimiterOptions, type RateLimitWindow } from "./limiter";
import type { RefreshTokenRotation } from "./oauth";
import type { ScimPatchMode } from "./scim";

export interface SandboxOptions {
  /**
   * Which API the server speaks, fixed at construction. "contract" (default): the project's contract,
   * REST under /api/v2 and SCIM under /api/scim/v2 with its own token. "live": TravelPerk's live surface as
   * public clients record it — REST at the host root (read-only users, cost centres, profiles), SCIM
   * at /scim with the enterprise and TravelPerk extensions, numeric ids, one credential for both.
   */
  api?: "contract" | "live";
  /** The interface to listen on. Default "127.0.0.1" (loopback only). */
  host?: string;
  /** The port to listen on. Default 0: an ephemeral port, read back from `url`. */
  port?: number;
  /** The OAuth bearer token accepted on REST (and on SCIM in live mode), as TravelPerk's OAuth apps use; default random. */
  accessToken?: string;
  /** Accepted as "Authorization: ApiKey <key>" on REST (and on SCIM in live mode), TravelPerk's API-key scheme; default random. */
  apiKey?: string;
  /**
   * The separate SCIM token of TravelPerk's SCIM guide: the only credential of contract-mode SCIM, also
   * accepted by live SCIM; default random.
   */
  scimToken?: string;
  /** The OAuth client id that the token endpoint accepts; default random. */
  clientId?: string;
  /** The OAuth client secret that goes with `clientId`; default random. */
  clientSecret?: string;
  /** The OAuth client's refresh token, the head of its rotation chain; default random. */
  refreshToken?: string;
  /**
   * Access tokens' lifetime in seconds, a finite number >= 0 and possibly fractional (default 3600, the
   * lifetime TravelPerk's token answers give); when set, the configured `accessToken` expires that long
   * after start (unset, it never expires). A token answer's `expires_in` is this value as given (a
   * fraction stays a fraction: RFC 6749 wants whole seconds, so use whole seconds to test a strict
   * parser); the token answers 401 once exactly that long has passed. Read when a token is minted or
   * checked: a change applies to tokens minted afterwards, and to the configured one.
   */
  tokenLifetimeSeconds?: number;
  /**
   * What `POST /oauth2/token` with grant_type=refresh_token does with the refresh token it was given.
   * "rotate" (default, as TravelPerk's OAuth does and RFC 6749 §10.4 recommends): the answer carries a new
   * refresh token and the used one dies at once. "reuse" (servers that keep refresh tokens): the answer
   * carries no `refresh_token` and the used one stays valid.
   */
  refreshTokenRotation?: RefreshTokenRotation;
  /**
   * `GET /oauth2/authorize` denies instead of approving, as when the person at the consent screen says
   * no: after checking the request it redirects to the redirect_uri with `error=access_denied`,
   * `error_description` and the `state` (RFC 6749 §4.1.2.1), and issues no code. Default false: it
   * approves at once.
   */
  oauthDeny?: boolean;
  /**
   * How `POST /oauth2/token` lets a client authenticate (RFC 6749 §2.3.1): "basic" only HTTP Basic (what
   * every server must accept: imitates the strict ones), "body" only `client_id`/`client_secret` in the
   * form (imitates servers that read only the form), "either" (default). The other way answers 401
   * `invalid_client`.
   */
  oauthClientAuthentication?: "basic" | "body" | "either";
  /**
   * Requests per `rateLimitPeriod` (default: per second) per credential, answered 429 beyond it, in the
   * shape `rateLimitWindow` says; imitates the per-credential limit the contract warns about. Default
   * 0/undefined = unlimited. With "fixed" and "sliding" windows, a whole number. A 429 is never
   * processed and never consumes budget.
   */
  rateLimit?: number;
  /**
   * The limiter's shape (see sandbox/limiter.ts), the shapes real APIs use. "bucket" (default): a token
   * bucket refilling smoothly at rateLimit / rateLimitPeriod per second, `rateLimitBurst` deep. "fixed":
   * at most rateLimit accepted requests per fixed window of rateLimitPeriod seconds, windows back to back
   * from the credential's first request. "sliding": at most rateLimit accepted requests within any
   * trailing rateLimitPeriod seconds.
   */
  rateLimitWindow?: RateLimitWindow;
  /** The rate limit's period in seconds, a number > 0; default 1 (per second; 60 imitates per-minute limits). */
  rateLimitPeriod?: number;
  /** The token bucket's size (>= 1), "bucket" only: how many requests may come at once; default max(1, rateLimit). */
  rateLimitBurst?: number;
  /**
   * 429s of the rate limit carry Retry-After (whole seconds, rounded up, at least 1, until a request
   * would pass: a token, the next window, the oldest counted request leaving the sliding window) and
   * X-RateLimit-Reset (that moment in epoch seconds, rounded up, GitHub's convention); default false:
   * the contract does not promise them.
   */
  rateLimitHeaders?: boolean;
  /**
   * 0..1: chance that a REST request (and a SCIM one in live mode) answers 500 without being processed,
   * the transient 5xx the contract warns about. Default 0.
   */
  faultRate?: number;
  /**
   * 0..1: chance that a REST request (and a SCIM one in live mode) answers 429 unprocessed, whatever the
   * pace: a server whose limit is shared with other clients. Default 0.
   */
  tooManyRequestsRate?: number;
  /**
   * 0..1: chance that a REST write (and a SCIM one in live mode) is committed, then its connection
   * destroyed unanswered: a proxy or network that drops the answer. Default 0.
   */
  lostResponseRate?: number;
  /** Milliseconds added before answering each REST, SCIM and OAuth request, for a distant server. Default 0. */
  latencyMs?: number;
  /**
   * At most this many items on any list page (REST and SCIM, both modes), whatever limit or count was
   * asked; the server does not say so: totals stay true and REST echoes the limit asked. Imitates
   * servers that silently cap pages. Integer >= 1; default undefined = no cap beyond the 200 maximum.
   */
  pageCap?: number;
  /**
   * How SCIM `PATCH /Users/{id}` answers: "full" (default, 200 with the user), "no-content" (204, as RFC
   * 7644 §3.5.2 allows and some servers do), "refused" (501, nothing changed: servers without PATCH).
   */
  scimPatch?: ScimPatchMode;
  /**
   * SCIM resources carry `meta.version` (a weak ETag, new on every write) and an ETag header; a write
   * whose If-Match names another version answers 412 and changes nothing (RFC 7644 §3.14). Default: on
   * in live mode (TravelPerk's live SCIM serves versions), off in contract mode.
   */
  scimEtags?: boolean;
  /**
   * The TravelPerk SCIM extension (gender, dateOfBirth, travelPolicy, invoiceProfiles, emergencyContact)
   * is served and writable. Default: on in live mode, as the live SCIM serves it; off in contract mode,
   * where SCIM refuses travel fields (400).
   */
  scimTravelFields?: boolean;
  /** JSON state file: loaded at start when present, written after writes (debounced) and on stop. Default: none, in memory. */
  persistFile?: string;
  /** Default true: seed travel policies and groups (and, in live mode, cost centres and invoice profiles). */
  seed?: boolean;
  /** The RNG of the random faults (default Math.random); a seeded one makes a fault run repeatable. */
  random?: () => number;
  /**
   * The clock (ms since the epoch; default Date.now) of the rate limiter, of its X-RateLimit-Reset and of
   * the request log's `at`. Fixed at construction.
   */
  now?: () => number;
  /**
   * In-process only: a deterministic 500 (not processed) for the requests it picks. `path` is the path
   * inside the API in contract mode ("/users/..."), the full URL path in live mode ("/users", "/scim/Users/3").
   * Default: none.
   */
  faultWhen?: (method: string, path: string) => boolean;
}

/** The options that may change while the server runs (`setOptions`, `PATCH /_sandbox/options`). */
export const KNOBS = [
  "rateLimit",
  "rateLimitWindow",
  "rateLimitPeriod",
  "rateLimitBurst",
  "rateLimitHeaders",
  "faultRate",
  "tooManyRequestsRate",
  "lostResponseRate",
  "latencyMs",
  "tokenLifetimeSeconds",
  "refreshTokenRotation",
  "oauthDeny",
  "oauthClientAuthentication",
  "pageCap",
  "scimPatch",
  "scimEtags",
  "scimTravelFields",
  "random",
  "faultWhen",
] as const;
/** The options that shape the rate limiter: changing any of them starts it afresh. */
export const LIMITER_KNOBS = ["rateLimit", "rateLimitWindow", "rateLimitPeriod", "rateLimitBurst"] as const;

/** The names of `patch` that are not knobs: options fixed at construction. */
export function fixedOptionsIn(patch: Partial<SandboxOptions>): string[] {
  return Object.keys(patch).filter((k) => !(KNOBS as readonly string[]).includes(k));
}

/** The knobs' current values as JSON shows them (functions left out, unset as null), for the admin API. */
export function knobValues(o: SandboxOptions): Record<string, unknown> {
  return Object.fromEntries(KNOBS.filter((k) => k !== "random" && k !== "faultWhen").map((k) => [k, o[k] ?? null]));
}

const ENUMS = {
  scimPatch: ["full", "no-content", "refused"],
  refreshTokenRotation: ["rotate", "reuse"],
  oauthClientAuthentication: ["basic", "body", "either"],
  api: ["contract", "live"],
} as const;
/** `"a", "b" or "c"`. */
const quoted = (values: readonly string[]) =>
  `${values
    .slice(0, -1)
    .map((v) => `"${v}"`)
    .join(", ")} or "${values.at(-1) ?? ""}"`;

/** Throws a RangeError naming the first option of `o` whose value is not valid. */
export function checkOptions(o: Partial<SandboxOptions>): void {
  checkLimiterOptions(o);
  const ranges = {
    latencyMs: Infinity,
    tokenLifetimeSeconds: Infinity,
    faultRate: 1,
    tooManyRequestsRate: 1,
    lostResponseRate: 1,
  };
  for (const [name, max] of Object.entries(ranges)) {
    const v = o[name as keyof typeof ranges];
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= max))
      throw new RangeError(
        `sandbox option ${name} must be ${max === Infinity ? "a finite number from 0 up" : `from 0 to ${String(max)}`}`,
      );
  }
  for (const name of ["rateLimitHeaders", "scimEtags", "scimTravelFields", "oauthDeny"] as const)
    if (!["boolean", "undefined"].includes(typeof o[name]))
      throw new RangeError(`sandbox option ${name} must be a boolean`);
  if (o.pageCap !== undefined && !(Number.isInteger(o.pageCap) && o.pageCap >= 1))
    throw new RangeError("sandbox option pageCap must be an integer from 1 up");
  for (const [name, allowed] of Object.entries(ENUMS)) {
    const v = o[name as keyof typeof ENUMS];
    if (v !== undefined && !(allowed as readonly string[]).includes(v))
      throw new RangeError(`sandbox option ${name} must be ${quoted(allowed)}`);
  }
}
