/**
 * One error type for every failed TravelPerk call, with a subclass per failure kind.
 *
 * An error names the operation ("create user"), the HTTP status (0 when no answer came) and the
 * subject (the user's e-mail where known). It never carries request headers, so no token can leak
 * through a log or a Pulumi diagnostic: the underlying axios error is reduced to plain facts.
 */
import { isAxiosError } from "axios";

/**
 * What a caller knows about the call that failed.
 *
 * @inline
 */
export interface RequestContext {
  /** A human name for the call, e.g. "create user" or "add group member". */
  operation: string;
  /** Who the call was about, e-mail preferred; omitted for collection reads. */
  subject?: string;
}

/** A failed TravelPerk API call. */
export class TravelPerkError extends Error {
  /** A human name for the call that failed, e.g. "create user" or "add member to group 42". */
  readonly operation: string;
  /** The HTTP status of the answer; `0` when no answer arrived (see {@link NetworkError}). */
  readonly status: number;
  /** Who the call was about (the user's e-mail where known); undefined for collection reads. */
  readonly subject?: string;
  /** The API's own explanation, when the answer carried one. */
  readonly detail?: string;
  /** Field-level reasons from a 400 answer (`{error, fields}`), when present. */
  readonly fields?: Record<string, string>;

  /**
   * Builds the error and its message; the message never contains a header or a token.
   *
   * @param context The call that failed and whom it was about.
   * @param status The HTTP status of the answer; `0` when no answer arrived.
   * @param detail The API's own explanation, when the answer carried one.
   * @param fields Field-level reasons from a 400 answer, when present.
   * @param hint What to do about it (which credential a 401 refused), appended to the message.
   */
  constructor(
    context: RequestContext,
    status: number,
    detail?: string,
    fields?: Record<string, string>,
    hint?: string,
  ) {
    super(describe(context, status, detail, fields, hint));
    this.name = new.target.name;
    this.operation = context.operation;
    this.status = status;
    this.subject = context.subject;
    this.detail = detail;
    this.fields = fields;
  }
}

/** The request was malformed or a field was refused (400). */
export class InvalidRequestError extends TravelPerkError {}
/** The credential was missing, expired or not allowed (401/403); a SCIM token does not work on REST. */
export class AuthenticationError extends TravelPerkError {}
/** The addressed user, group or membership does not exist (404). */
export class NotFoundError extends TravelPerkError {}
/** The object already exists: a duplicate e-mail (422/409 on create) or an existing membership (409). */
export class ConflictError extends TravelPerkError {}
/** The API kept refusing with 429 after every retry. */
export class RateLimitError extends TravelPerkError {}
/** The API failed (5xx) after every retry that was safe to make. */
export class ServerError extends TravelPerkError {}
/** No answer arrived: the connection failed, was dropped, or timed out (status 0). */
export class NetworkError extends TravelPerkError {}
/** An answer arrived but did not have the shape the contract promises. */
export class MalformedResponseError extends TravelPerkError {}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function describe(
  context: RequestContext,
  status: number,
  detail?: string,
  fields?: Record<string, string>,
  hint?: string,
): string {
  const who = context.subject ? ` ${context.subject}` : "";
  const what = status === 0 ? "no answer (network error)" : `${String(status)} ${STATUS_TEXT[status] ?? "error"}`;
  const fieldText =
    fields && Object.keys(fields).length > 0
      ? ` (${Object.entries(fields)
          .map(([k, v]) => `${k}: ${v}`)
          .join("; ")})`
      : "";
  return `TravelPerk ${context.operation}${who} failed: ${what}${detail ? `: ${detail}` : ""}${fieldText}.${hint ? ` ${hint}` : ""}`;
}

/** Pulls a short, token-free explanation out of an error body of unknown shape. */
function explain(body: unknown): { detail?: string; fields?: Record<string, string> } {
  if (typeof body === "string") {
    const text = body
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    return { detail: text ? text.slice(0, 200) : undefined };
  }
  if (!body || typeof body !== "object") return {};
  const record = body as Record<string, unknown>;
  const message = [record.error, record.message, record.detail].find((v): v is string => typeof v === "string");
  let fields: Record<string, string> | undefined;
  if (record.fields && typeof record.fields === "object") {
    fields = {};
    for (const [key, value] of Object.entries(record.fields as Record<string, unknown>)) {
      fields[key] = Array.isArray(value) ? value.map(String).join(", ") : String(value);
    }
  }
  return { detail: message?.slice(0, 300), fields };
}

/** Builds the right subclass for a status (0 for no answer); `authHint` explains a 401. */
export function errorForStatus(
  context: RequestContext,
  status: number,
  body?: unknown,
  authHint?: string,
): TravelPerkError {
  const { detail, fields } = explain(body);
  if (status === 0) return new NetworkError(context, 0, detail);
  if (status === 400) return new InvalidRequestError(context, status, detail, fields);
  if (status === 401) return new AuthenticationError(context, status, detail, undefined, authHint);
  if (status === 403) return new AuthenticationError(context, status, detail);
  if (status === 404) return new NotFoundError(context, status, detail);
  if (status === 409 || status === 422) return new ConflictError(context, status, detail, fields);
  if (status === 429) return new RateLimitError(context, status, detail);
  if (status >= 500) return new ServerError(context, status, detail);
  return new TravelPerkError(context, status, detail, fields);
}

/** Converts whatever a request threw into a TravelPerkError, dropping headers and config. */
export function toTravelPerkError(error: unknown, context: RequestContext, authHint?: string): TravelPerkError {
  if (error instanceof TravelPerkError) return error;
  if (isAxiosError(error)) {
    if (error.response) return errorForStatus(context, error.response.status, error.response.data, authHint);
    // Only the error code is kept: axios messages can quote the URL, never headers, but be strict.
    return new NetworkError(context, 0, error.code ?? "connection failed");
  }
  return new NetworkError(context, 0, error instanceof Error ? error.message : String(error));
}
