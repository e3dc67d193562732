/**
 * The OAuth 2.0 token endpoint (RFC 6749 §3.2), for the login's code exchange and the provider's
 * refresh-token grant: a form POST (retried as retry.ts's tokenRetryOptions say), the client
 * authenticated with HTTP Basic (which every server must accept, §2.3.1) and, when a server refuses
 * that as `invalid_client`, once more with the id and secret in the body (which servers may accept
 * instead); the way that worked is kept per token URL. The answer is checked with zod. Errors name
 * the grant and the OAuth error code, never a token, code or secret.
 */
import axios, { isAxiosError } from "axios";
import axiosRetry from "axios-retry";
import { z } from "zod";
import { packageVersion } from "../version";
import { tokenRetryOptions } from "./retry";

/** The OAuth client, and where its tokens come from. */
export interface OAuthClient {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

/** A token endpoint answer, in the client's words. */
export interface TokenGrant {
  accessToken: string;
  /** The access token's lifetime in ms, when the server said (`expires_in`). */
  lifetimeMs?: number;
  /** A new refresh token: a rotating server has then already revoked the one used. */
  refreshToken?: string;
  scope?: string;
}

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().nonnegative().optional(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});

/** The token endpoint refused or failed a grant. `code` is the OAuth error (`invalid_grant`, …) or the HTTP status. */
export class OAuthGrantError extends Error {
  /**
   * Builds the error; the message is the caller's, token-free.
   *
   * @param grant The grant that was asked for.
   * @param code The OAuth error code (`invalid_grant`, …), `HTTP <status>`, or the network error's code.
   * @param status The HTTP status of the answer; 0 when none arrived.
   * @param message What could not be done, where, and the code; never a token, code or secret.
   */
  constructor(
    /** The grant that was asked for. */
    readonly grant: "authorization_code" | "refresh_token",
    /** The OAuth error code (`invalid_grant`, …), `HTTP <status>`, or the network error's code. */
    readonly code: string,
    /** The HTTP status of the answer; 0 when none arrived. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "OAuthGrantError";
  }
}

/** OAuth error codes are short words (RFC 6749 §5.2); anything else in the answer is not quoted. */
function oauthErrorCode(body: unknown): string | undefined {
  const code = body && typeof body === "object" ? (body as Record<string, unknown>).error : undefined;
  return typeof code === "string" && /^[\w.-]{1,64}$/.test(code) ? code : undefined;
}

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
export type ClientAuthentication = "basic" | "body";

/** The way each token URL accepted, once one did (HTTP Basic is tried first). */
const acceptedAuthentication = new Map<string, ClientAuthentication>();

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
const basicCredentials = (client: OAuthClient) =>
  Buffer.from(
    `${new URLSearchParams({ x: client.clientId }).toString().slice(2)}:${new URLSearchParams({ x: client.clientSecret }).toString().slice(2)}`,
  ).toString("base64");

/**
 * Asks the token endpoint for a grant. Lost connections and 5xx are retried a few times; an OAuth
 * error answer is final, except `invalid_client` to HTTP Basic, which is asked once more with the
 * client's credentials in the body (the server checks the client before it spends a code or token).
 */
export async function requestToken(
  client: OAuthClient,
  grant: "authorization_code" | "refresh_token",
  form: Record<string, string>,
  timeoutMs = 30_000,
): Promise<TokenGrant> {
  const known = acceptedAuthentication.get(client.tokenUrl);
  try {
    const answer = await requestTokenWith(known ?? "basic", client, grant, form, timeoutMs);
    acceptedAuthentication.set(client.tokenUrl, known ?? "basic");
    return answer;
  } catch (error) {
    if (known !== undefined || !(error instanceof OAuthGrantError) || !refusedClient(error)) throw error;
    const answer = await requestTokenWith("body", client, grant, form, timeoutMs);
    acceptedAuthentication.set(client.tokenUrl, "body");
    return answer;
  }
}

/** The server did not authenticate the client (RFC 6749 §5.2: `invalid_client`, usually with 401). */
const refusedClient = (error: OAuthGrantError) =>
  error.code === "invalid_client" || (error.status === 401 && error.code.startsWith("HTTP "));

async function requestTokenWith(
  authentication: ClientAuthentication,
  client: OAuthClient,
  grant: "authorization_code" | "refresh_token",
  form: Record<string, string>,
  timeoutMs: number,
): Promise<TokenGrant> {
  const http = axios.create({ timeout: timeoutMs });
  // A repeat of a token request after a lost answer is the only way on; the server decides.
  axiosRetry(http, tokenRetryOptions());
  const body = new URLSearchParams({
    grant_type: grant,
    ...form,
    ...(authentication === "body"
      ? { client_id: client.clientId, client_secret: client.clientSecret }
      : // RFC 6749 §4.1.3: a code exchange names the client even when it authenticates with Basic.
        grant === "authorization_code"
        ? { client_id: client.clientId }
        : {}),
  });
  const what =
    grant === "refresh_token" ? "renew the access token (refresh-token grant)" : "exchange the authorization code";
  let data: unknown;
  try {
    const response = await http.post(client.tokenUrl, body.toString(), {
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
        "User-Agent": `pulumi-travelperk/${packageVersion()}`,
        ...(authentication === "basic" ? { Authorization: `Basic ${basicCredentials(client)}` } : {}),
      },
    });
    data = response.data;
  } catch (error) {
    if (isAxiosError(error) && error.response) {
      const status = error.response.status;
      const code = oauthErrorCode(error.response.data) ?? `HTTP ${status}`;
      throw new OAuthGrantError(
        grant,
        code,
        status,
        `TravelPerk could not ${what} at ${client.tokenUrl}: ${status} ${code}`,
      );
    }
    const code = isAxiosError(error) ? (error.code ?? "connection failed") : "connection failed";
    throw new OAuthGrantError(
      grant,
      code,
      0,
      `TravelPerk could not ${what} at ${client.tokenUrl}: no answer (${code})`,
    );
  }
  const parsed = tokenAnswer.safeParse(data);
  if (!parsed.success)
    throw new OAuthGrantError(
      grant,
      "malformed_answer",
      200,
      `TravelPerk could not ${what} at ${client.tokenUrl}: the answer carries no access_token`,
    );
  const answer = parsed.data;
  return {
    accessToken: answer.access_token,
    lifetimeMs: answer.expires_in === undefined ? undefined : answer.expires_in * 1000,
    refreshToken: answer.refresh_token,
    scope: answer.scope,
  };
}
