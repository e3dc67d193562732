/**
 * What each attempt carries in `Authorization`, per connection: a fixed access token, API key or
 * SCIM token, or an OAuth session that obtains access tokens from the refresh token itself.
 *
 * The OAuth session renews on demand (when an attempt is about to leave with a token close to its
 * `expires_in`; no timer runs while nothing is sent), one grant at a time for every resource of the
 * process (single-flight), and once more after a 401. A refresh answer that rotates the refresh
 * token is kept for the rest of the run and shared with the command's other processes through the
 * token cache (token-cache.ts).
 */
import type { Credentials } from "../config";
import { OAuthGrantError, requestToken } from "./oauth";
import { TokenCache, assertOutsideRepository, fingerprint, type CachedAccess, type TokenChain } from "./token-cache";

/** The credential of one API surface of a connection. */
export interface CredentialSource {
  /** The `Authorization` value for an attempt leaving now. */
  authorization(): Promise<string>;
  /** After a 401 of an attempt that carried `sent`: true once a different credential is ready to try. */
  renew(sent: string): Promise<boolean>;
  /** The credential in words, for messages: its kind and the key it came from, never its value. */
  readonly description: string;
}

/** Grants one attempt may wait for before its token is given up on (each arrived already expired). */
const MAX_RENEWALS_PER_ATTEMPT = 3;

/** Raised when no access token can be obtained; names the keys and what to do, never a value. */
export class CredentialError extends Error {
  constructor(
    message: string,
    /** The token endpoint's status (0: no answer). */
    readonly status: number,
  ) {
    super(message);
    this.name = "CredentialError";
  }
}

/** Counters of one OAuth session, for tests, benchmarks and the closing report. */
export interface OAuthStats {
  /** Refresh-token grants this process sent. */
  grants: number;
  /** Access tokens taken from the token cache (another process had just obtained them). */
  adopted: number;
  /** Renewals after a 401. */
  renewalsAfter401: number;
  /** Refresh tokens the server rotated. */
  rotations: number;
}

/** How close to expiry a token is renewed: a quarter of its lifetime, at most a minute. */
function renewalMarginMs(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 4);
}

const describeKind: Record<Credentials["kind"], string> = {
  oauth: "an OAuth access token obtained with the refresh token",
  accessToken: "the access token",
  apiKey: "the API key",
  scimToken: "the SCIM token",
};

/** The credential in words: `the API key from travelperk:apiKey`. */
function describeCredentials(credentials: Credentials): string {
  return `${describeKind[credentials.kind]} from ${credentials.from}`;
}

class FixedCredential implements CredentialSource {
  readonly description: string;
  constructor(
    private readonly header: string,
    credentials: Credentials,
  ) {
    this.description = describeCredentials(credentials);
  }
  authorization(): Promise<string> {
    return Promise.resolve(this.header);
  }
  renew(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/** Where a rotated refresh token is reported once per process when no cache file was named. */
type RotationNotice = (message: string) => void;

/** An OAuth refresh-token session of one connection. */
export class OAuthSession implements CredentialSource {
  readonly description: string;
  readonly stats: OAuthStats = { grants: 0, adopted: 0, renewalsAfter401: 0, rotations: 0 };
  private access?: CachedAccess;
  /** The token a 401 rejected: never taken from the cache again. */
  private rejected?: string;
  private renewing?: Promise<void>;
  private readonly client: string;
  private readonly cache: TokenCache;
  private warned = false;

  constructor(
    private readonly credentials: Extract<Credentials, { kind: "oauth" }>,
    private readonly options: {
      cacheFile: string;
      /** Whether a setting named the cache (no warning on rotation then: it is the store). */
      cacheNamed: boolean;
      /** The setting that names the cache, for messages. */
      cacheKey: string;
      /** The connection ("" = default), for the commands messages give. */
      connection: string;
      timeoutMs: number;
      notice?: RotationNotice;
      now?: () => number;
    },
  ) {
    this.description = describeCredentials(credentials);
    this.client = fingerprint(credentials.tokenUrl, credentials.clientId);
    if (options.cacheNamed) assertOutsideRepository(options.cacheFile, options.cacheKey);
    this.cache = new TokenCache(options.cacheFile);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Not rejected, and not yet inside its renewal margin. */
  private usable(access: CachedAccess): boolean {
    return access.token !== this.rejected && this.now() < access.expiresAt - renewalMarginMs(access.lifetimeMs);
  }

  async authorization(): Promise<string> {
    for (let renewals = 0; ; renewals++) {
      const access = this.access;
      if (access && this.usable(access)) return `Bearer ${access.token}`;
      // A token just obtained is used even inside its renewal margin (a token endpoint slower than
      // a quarter of the lifetime): asking again would only loop. Expired on arrival is an error.
      if (renewals > 0 && access && access.token !== this.rejected && this.now() < access.expiresAt)
        return `Bearer ${access.token}`;
      if (renewals >= MAX_RENEWALS_PER_ATTEMPT)
        throw new CredentialError(
          `the access tokens of ${this.credentials.tokenUrl} expired before they could be used ` +
            `(${String(renewals)} grants in a row): check the token endpoint's expires_in and this machine's clock`,
          0,
        );
      await this.renewOnce();
    }
  }

  async renew(sent: string): Promise<boolean> {
    // Another attempt already renewed: the new token is worth one try.
    if (this.access && this.usable(this.access) && `Bearer ${this.access.token}` !== sent) return true;
    this.rejected = sent.replace(/^Bearer\s+/i, "");
    this.access = undefined;
    this.stats.renewalsAfter401 += 1;
    await this.renewOnce();
    return true;
  }

  /** One renewal at a time per process: concurrent callers wait for the same grant. */
  private renewOnce(): Promise<void> {
    this.renewing ??= this.obtain().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  /** Under the cache's lock: a token another process obtained, else a refresh grant with the chain's newest token. */
  private async obtain(): Promise<void> {
    this.access = await this.cache.update(this.client, this.credentials.refreshToken, async (chain) => {
      if (chain.access && this.usable(chain.access)) {
        this.stats.adopted += 1;
        return { chain, result: chain.access };
      }
      const sentAt = this.now();
      const grant = await this.refresh(chain);
      this.stats.grants += 1;
      const lifetimeMs = grant.lifetimeMs ?? 3600_000;
      // Measured from when the grant was asked for: the server's clock started no earlier.
      const access: CachedAccess = { token: grant.accessToken, expiresAt: sentAt + lifetimeMs, lifetimeMs };
      const rotated = grant.refreshToken !== undefined && grant.refreshToken !== chain.head;
      if (rotated) this.noteRotation();
      const next: TokenChain = {
        ...chain,
        head: grant.refreshToken ?? chain.head,
        spent: rotated ? [...chain.spent, fingerprint(chain.head)] : chain.spent,
        access,
      };
      return { chain: next, result: access };
    });
  }

  private async refresh(chain: TokenChain) {
    try {
      return await requestToken(
        {
          tokenUrl: this.credentials.tokenUrl,
          clientId: this.credentials.clientId,
          clientSecret: this.credentials.clientSecret,
        },
        "refresh_token",
        { refresh_token: chain.head },
        this.options.timeoutMs,
      );
    } catch (error) {
      if (!(error instanceof OAuthGrantError)) throw error;
      const newer =
        chain.head !== this.credentials.refreshToken
          ? ` (the newest token of its chain, kept in ${this.options.cacheFile})`
          : "";
      const why =
        error.code === "invalid_grant"
          ? `TravelPerk refused the refresh token from ${this.credentials.from}${newer} (invalid_grant): it was revoked, has expired, or another run on another machine already used it. ` +
            `Sign in again: ${this.command("login")}`
          : error.code === "invalid_client"
            ? `TravelPerk refused the OAuth client (invalid_client): check the client id and secret that go with ${this.credentials.from}`
            : error.message;
      throw new CredentialError(why, error.status);
    }
  }

  private command(name: "login" | "save-token"): string {
    const connection = this.options.connection ? ` --connection ${this.options.connection}` : "";
    return `npx pulumi-travelperk ${name}${connection}`;
  }

  private noteRotation(): void {
    this.stats.rotations += 1;
    if (this.options.cacheNamed || this.warned) return;
    this.warned = true;
    (
      this.options.notice ??
      ((message: string) => {
        console.warn(message);
      })
    )(
      `warning: TravelPerk rotated the refresh token of ${this.credentials.from}: the value stored there is now spent. ` +
        `The newest one is kept in ${this.options.cacheFile} (mode 0600), so later runs on this machine go on from it; ` +
        `store it without printing it: ${this.command("save-token")} [--stack STACK]`,
    );
  }
}

/** The source for a credential of `credentials`' kind. */
export function credentialSource(
  credentials: Credentials,
  oauth: ConstructorParameters<typeof OAuthSession>[1],
): CredentialSource {
  switch (credentials.kind) {
    case "oauth":
      return new OAuthSession(credentials, oauth);
    case "apiKey":
      return new FixedCredential(`ApiKey ${credentials.key}`, credentials);
    case "accessToken":
    case "scimToken":
      return new FixedCredential(`Bearer ${credentials.token}`, credentials);
  }
}
