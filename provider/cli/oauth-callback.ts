/**
 * The browser half of `login`'s OAuth 2.0 authorization-code flow (RFC 6749 §4.1): the PKCE S256
 * pair (RFC 7636) and the random `state`, the authorize URL that carries them, and the one-shot
 * listener on 127.0.0.1 that is the `redirect_uri`. Kept apart from the flags and the storing so
 * that what the browser may send, and what it is answered, is read in one place.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { LoginError } from "./login-errors";

/** The path of the listener's redirect_uri. */
const CALLBACK_PATH = "/callback";

/** The secrets of one sign-in: the PKCE verifier, its challenge, and the state. */
interface AuthorizationSecrets {
  verifier: string;
  challenge: string;
  state: string;
}

/** PKCE (RFC 7636 §4.1-4.2): a 43-character verifier and its S256 challenge; a fresh random state. */
export function newAuthorizationSecrets(): AuthorizationSecrets {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier, "ascii").digest("base64url");
  const state = randomBytes(24).toString("base64url");
  return { verifier, challenge, state };
}

/** The URL the browser signs in at: the authorize endpoint with the client, the scopes, the state and the challenge. */
export function authorizeRequestUrl(
  authorizeUrl: string,
  request: { clientId: string; redirectUri: string; scopes: string; secrets: AuthorizationSecrets },
): URL {
  const authorize = new URL(authorizeUrl);
  for (const [name, value] of Object.entries({
    response_type: "code",
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scopes,
    state: request.secrets.state,
    code_challenge: request.secrets.challenge,
    code_challenge_method: "S256",
  }))
    authorize.searchParams.set(name, value);
  return authorize;
}
const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

function page(title: string, text: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>pulumi-travelperk login: ${escapeHtml(title)}</title></head>` +
    `<body style="font-family: sans-serif; margin: 3em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`
  );
}

/** An OAuth error code as RFC 6749 §4.1.2.1 spells them; anything else is not quoted. */
const safeErrorCode = (code: string) => (/^[\w.-]{1,64}$/.test(code) ? code : "an unrecognised error");
/** An error description, reduced to printable text of reasonable length. */
const safeDescription = (text: string) =>
  text
    // eslint-disable-next-line no-control-regex -- control characters are what is removed
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .slice(0, 200)
    .trim();

/** A query parameter's one value; undefined when it is absent or repeated. */
const onlyValue = (values: string[]): string | undefined => (values.length === 1 ? values.at(0) : undefined);

function sameState(received: string, expected: string): boolean {
  const [a, b] = [Buffer.from(received), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The answer to the browser once the callback's work is done. */
export interface Outcome<T> {
  value: T;
  /** The page's text. */
  message: string;
}

/**
 * The one-shot listener. Answers 404 to other paths and 400 to a callback whose `state` differs
 * (then keeps waiting: a stale tab or a forged request must not end a sign-in). The first callback
 * with the right state counts: with `error=` it fails, with `code=` it runs `onCode` and answers the
 * browser with its outcome. Then the listener closes.
 */
export class CallbackListener {
  private readonly server = http.createServer((req, res) => {
    this.handle(req, res);
  });
  private settled = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly state: string,
    private readonly warn: (text: string) => void,
  ) {}

  /** Listens on 127.0.0.1 on a free port; answers the redirect_uri. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${CALLBACK_PATH}`;
  }

  private onCode?: (code: string) => Promise<Outcome<unknown>>;
  private resolve?: (value: unknown) => void;
  private reject?: (error: Error) => void;

  /** Waits for the first valid callback, at most `timeoutSeconds`. */
  wait<T>(timeoutSeconds: number, onCode: (code: string) => Promise<Outcome<T>>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.onCode = onCode;
      this.resolve = resolve as (value: unknown) => void;
      this.reject = reject;
      this.timer = setTimeout(() => {
        this.finish();
        reject(new LoginError(`no answer from the browser within ${timeoutSeconds} s; run login again`));
      }, timeoutSeconds * 1000);
    });
  }

  /** Stops listening (at once, or once the last answer is sent). */
  close(): void {
    this.finish();
  }

  private finish(): void {
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.server.close();
    this.server.closeIdleConnections();
  }

  private answer(res: http.ServerResponse, status: number, title: string, text: string, last = false): void {
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      ...(last ? { connection: "close" } : {}),
    });
    res.end(page(title, text), () => {
      if (last) this.finish();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== CALLBACK_PATH) {
      this.answer(res, 404, "Not found", "This is the pulumi-travelperk login listener; nothing is here.");
      return;
    }
    if (req.method !== "GET") {
      this.answer(res, 405, "Method not allowed", "The sign-in answer arrives as a GET request.");
      return;
    }
    if (this.settled || !this.onCode) {
      this.answer(res, 409, "Already finished", "This sign-in is already finished; you can close this tab.");
      return;
    }
    const q = url.searchParams;
    const state = onlyValue(q.getAll("state"));
    if (state === undefined || !sameState(state, this.state)) {
      this.warn(
        "Refused an answer at the login listener whose state does not match this sign-in (a stale tab or a forged request); still waiting.\n",
      );
      this.answer(
        res,
        400,
        "Sign-in refused",
        "This answer does not belong to the sign-in that is waiting (its state differs). Start again from the URL the terminal shows.",
      );
      return;
    }
    const error = q.get("error");
    if (error !== null) {
      const errorCode = safeErrorCode(error);
      const description = safeDescription(q.get("error_description") ?? "");
      const what =
        errorCode === "access_denied" ? "the sign-in was denied" : "TravelPerk did not authorize the sign-in";
      const message = `${what}: OAuth error ${errorCode}${description ? ` (${description})` : ""}`;
      this.answer(res, 400, "Sign-in failed", `${message}. Run login again in the terminal.`, true);
      this.reject?.(new LoginError(`${message}; run login again`));
      return;
    }
    const code = onlyValue(q.getAll("code"));
    if (code === undefined || code === "") {
      this.answer(res, 400, "Sign-in incomplete", "The answer carries neither a code nor an error; still waiting.");
      return;
    }
    // The first valid callback: nothing after it counts.
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.onCode(code).then(
      (outcome) => {
        this.answer(res, 200, "Signed in", `${outcome.message} You can close this tab.`, true);
        this.resolve?.(outcome.value);
      },
      (failure: unknown) => {
        const message = failure instanceof Error ? failure.message : String(failure);
        this.answer(res, 502, "Sign-in failed", `${message}. Run login again in the terminal.`, true);
        this.reject?.(failure instanceof Error ? failure : new LoginError(message));
      },
    );
  }
}
