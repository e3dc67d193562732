/**
 * Who may call which API of the sandbox: which credential an Authorization header presents (for the
 * request log and the rules), and the 401 a request without the right one gets. Contract mode keeps
 * REST (OAuth tokens, the API key) and SCIM (only the SCIM token) apart; live mode takes the REST
 * credentials on SCIM too.
 */
import type { Credential } from "./http";
import type { OAuth } from "./oauth";
import { Reply, fail, json } from "./reply";
import { scimError } from "./scim-reply";

export class Authenticator {
  constructor(private readonly credentials: { apiKey: string; scimToken: string; oauth: OAuth; live: boolean }) {}

  /** Which credential the request presented (for the log and the rules), whether or not it is valid here. */
  classify(auth: string): Credential {
    const parts = auth.split(/\s+/);
    if (parts.length > 2) return "none";
    const [scheme = "", token = ""] = parts;
    const { apiKey, scimToken, oauth } = this.credentials;
    if (scheme.toLowerCase() === "apikey") return token === apiKey ? "apikey" : "none";
    if (scheme.toLowerCase() !== "bearer") return "none";
    return token === scimToken ? "scim" : oauth.checkAccessToken(token) === "unknown" ? "none" : "bearer";
  }

  /**
   * Contract: REST takes OAuth tokens and the API key; SCIM only the SCIM token. Live: both take OAuth
   * tokens and the API key, and SCIM the SCIM token too. Undefined means allowed.
   */
  authenticate(area: "rest" | "scim", auth: string, credential: Credential): Reply | undefined {
    if (area === "scim" && this.credentials.live) {
      if (credential === "scim") return undefined;
      const denied = this.authenticate("rest", auth, credential);
      return (
        denied && {
          ...scimError(401, (denied.body as { error: string }).error),
          headers: { ...denied.headers, "content-type": "application/scim+json" },
        }
      );
    }
    if (area === "scim") return credential === "scim" ? undefined : scimError(401, "a valid SCIM token is required");
    if (credential === "apikey") return undefined;
    if (credential === "bearer") {
      const [, token = ""] = auth.split(/\s+/);
      const state = this.credentials.oauth.checkAccessToken(token);
      if (state === "valid") return undefined;
      return json(
        401,
        { error: state === "revoked" ? "access token revoked" : "access token expired" },
        { "www-authenticate": 'Bearer error="invalid_token"' },
      );
    }
    if (credential === "scim") return fail(401, "the SCIM token is not valid on the REST API");
    return json(401, { error: "missing or invalid credentials" }, { "www-authenticate": "Bearer" });
  }
}
