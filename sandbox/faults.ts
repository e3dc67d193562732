/**
 * What stands between an authenticated API request and its processing: the rate limiter (one budget per
 * credential, rebuilt when its options change) and the injected faults the contract warns about —
 * random 429s and 500s, deterministic 500s (`faultWhen`), and lost answers of committed writes. The
 * options are read at each request, so knobs changed at run time apply at once.
 */
import { WRITES, type Fault } from "./http";
import { Limiter } from "./limiter";
import type { SandboxOptions } from "./options";
import { Reply, fail } from "./reply";

/** An answer in the area's error shape. */
export type FailWith = (status: number, message: string) => Reply;

/** What a request goes through: whether it is REST or SCIM, in which mode, and how its area answers errors. */
export interface Passage {
  /** The Authorization header: the limiter's key. */
  auth: string;
  method: string;
  /** The path `faultWhen` sees: the path inside the API in contract mode, the full URL path in live mode. */
  faultPath: string;
  /** Random faults hit this request (REST in contract mode, REST and SCIM in live mode). */
  faulty: boolean;
  /** The error shape of the rate limit's 429 (contract mode keeps the REST shape on SCIM). */
  limitFailWith: FailWith;
  /** The error shape of injected faults. */
  failWith: FailWith;
}

export class Faults {
  private limiter: Limiter;

  /** `options` is the server's live options object, read at each request. */
  constructor(
    private readonly options: SandboxOptions,
    private readonly now: () => number,
  ) {
    this.limiter = this.limiterOf(options);
  }

  /** A new limiter for these options (thrown RangeError when they do not fit together): every budget is whole again. */
  reshape(options: Partial<SandboxOptions>): void {
    this.limiter = this.limiterOf(options);
  }

  /** Forgets every credential's rate-limit state. */
  clear(): void {
    this.limiter.clear();
  }

  /**
   * Before processing: rate limit (a 429 is never processed and never consumes budget), then random 429s,
   * then planned and random 500s. Undefined when the request is to be processed.
   */
  before(p: Passage): { reply: Reply; fault: Fault } | undefined {
    const wait = this.limiter.wait(p.auth);
    if (wait !== undefined) return { reply: this.rateLimited(wait, p.limitFailWith), fault: "rate_limited" };
    if (p.faulty && this.roll(this.options.tooManyRequestsRate))
      return { reply: this.rateLimited(1, p.failWith), fault: "rate_limited" };
    this.limiter.take(p.auth); // only a request that is not answered 429 counts against the budget
    const planned = p.faulty && this.options.faultWhen?.(p.method, p.faultPath) === true;
    if (planned || (p.faulty && this.roll(this.options.faultRate)))
      return { reply: p.failWith(500, "internal server error"), fault: "server_error" };
    return undefined;
  }

  /** After processing: whether this write's answer is lost (it was committed, the connection is dropped). */
  losesAnswer(p: Passage): boolean {
    return p.faulty && WRITES.has(p.method) && this.roll(this.options.lostResponseRate);
  }

  /** The rate limiter of these options, keyed by the Authorization header, on the sandbox's clock. */
  private limiterOf(o: Partial<SandboxOptions>): Limiter {
    const { rateLimit, rateLimitWindow, rateLimitPeriod, rateLimitBurst } = o;
    return new Limiter({ rateLimit, rateLimitWindow, rateLimitPeriod, rateLimitBurst, now: this.now });
  }

  /** A 429 in the area's error shape (`failWith`), with the rate-limit headers when they are on. */
  private rateLimited(waitSeconds: number, failWith: FailWith = fail): Reply {
    const reply = failWith(429, "rate limited");
    if (!this.options.rateLimitHeaders) return reply;
    // Retry-After is a delta in seconds; X-RateLimit-Reset an epoch time in seconds (GitHub's convention).
    return {
      ...reply,
      headers: {
        ...reply.headers,
        "retry-after": String(Math.max(1, Math.ceil(waitSeconds))),
        "x-ratelimit-reset": String(Math.ceil(this.now() / 1000 + waitSeconds)),
      },
    };
  }

  private roll(rate: number | undefined): boolean {
    return !!rate && (this.options.random ?? Math.random)() < rate;
  }
}
