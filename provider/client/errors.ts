/**
 * One error type for every failed TravelPerk call, with a subclass per failure kind.
 *
 * An error names the operation ("create user"), the HTTP status (0 when no answer came), the subject
 * (the user's e-mail where known), the method and path it was sent to and the server's request id
 * when the answer carried one. It never carries a request header, a query string or the axios error
 * itself (whose config holds the credential), so no token can leak through a log or a Pulumi
 * diagnostic; the underlying cause (the answer's schema issues, the network failure) is kept as
 * `cause`, rebuilt from plain facts.
 */
import { isAxiosError, type AxiosError } from "axios";
import type { ZodError } from "zod";

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

/** Where a failed call went: the method and the URL's path, never its query string (it can hold an e-mail filter). */
export interface RequestTarget {
  /** The HTTP method, upper case. */
  method: string;
  /** The URL's path, the base URL's path included (`/api/v2/users/42`). */
  path: string;
}

/** What an error says beyond the operation and the status. */
export interface ErrorDetails {
  /** The API's own explanation, when the answer carried one. */
  detail?: string;
  /** Field-level reasons from a 400 answer (`{error, fields}`), when present. */
  fields?: Record<string, string>;
  /** What to do about it (which credential a 401 refused), appended to the message. */
  hint?: string;
  /** The method and path the call was sent to. */
  target?: RequestTarget;
  /** The server's id of the request (`X-Request-Id` and kin), for TravelPerk's support. */
  requestId?: string;
  /** What went wrong underneath: the answer's schema issues, the network failure. Never holds a header. */
  cause?: unknown;
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
  /** The HTTP method of the call, when it was sent. */
  readonly method?: string;
  /** The path the call was sent to (no query string), when it was sent. */
  readonly path?: string;
  /** The server's id of the request, when the answer carried one. */
  readonly requestId?: string;

  /**
   * Builds the error and its message; the message never contains a header, a query string or a token.
   *
   * @param context The call that failed and whom it was about.
   * @param status The HTTP status of the answer; `0` when no answer arrived.
   * @param details The API's explanation, the request's method, path and id, the underlying cause.
   */
  constructor(context: RequestContext, status: number, details: ErrorDetails = {}) {
    super(describe(context, status, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.operation = context.operation;
    this.status = status;
    this.subject = context.subject;
    this.detail = details.detail;
    this.fields = details.fields;
    this.method = details.target?.method;
    this.path = details.target?.path;
    this.requestId = details.requestId;
    this.#details = details;
  }

  /** Everything the error was built from, to build it again about someone else (a # field: not shown by inspect). */
  readonly #details: ErrorDetails;

  /**
   * The same failure, of the same kind and with every detail, naming another subject.
   *
   * @param subject Whom the call was about, e.g. the e-mail of a user the call knew by id only.
   */
  aboutSubject(subject: string): TravelPerkError {
    const Kind = this.constructor as new (...args: ConstructorParameters<typeof TravelPerkError>) => TravelPerkError;
    return new Kind({ operation: this.operation, subject }, this.status, this.#details);
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

function describe(context: RequestContext, status: number, details: ErrorDetails): string {
  const { detail, fields, hint, target, requestId } = details;
  const who = context.subject ? ` ${context.subject}` : "";
  const what = status === 0 ? "no answer (network error)" : `${String(status)} ${STATUS_TEXT[status] ?? "error"}`;
  const fieldText =
    fields && Object.keys(fields).length > 0
      ? ` (${Object.entries(fields)
          .map(([k, v]) => `${k}: ${v}`)
          .join("; ")})`
      : "";
  const sent = [target && `${target.method} ${target.path}`, requestId && `request id ${requestId}`].filter(Boolean);
  const where = sent.length > 0 ? ` [${sent.join("; ")}]` : "";
  return `TravelPerk ${context.operation}${who} failed: ${what}${detail ? `: ${detail}` : ""}${fieldText}${where}.${hint ? ` ${hint}` : ""}`;
}

/** Pulls a short, token-free explanation out of an error body of unknown shape. */
function explain(body: unknown): Pick<ErrorDetails, "detail" | "fields"> {
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

/** An answer's first schema issue, as `path: reason`; `whole` names the place when the issue is about all of it. */
export function describeIssue(error: ZodError, whole: string): string {
  const issue = error.issues.at(0);
  return `${issue?.path.join(".") || whole}: ${issue?.message ?? "unexpected shape"}`;
}

/** Headers servers use for the id of a request; the first present names it. */
const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "x-correlation-id"];

/** The request id an answer carried, when it looks like one (a short token of id characters, nothing else). */
export function requestIdOf(headers: unknown): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  const record = headers as Record<string, unknown>;
  for (const name of REQUEST_ID_HEADERS) {
    const value = record[name];
    if (typeof value === "string" && /^[\w.:/+=-]{1,128}$/.test(value)) return value;
  }
  return undefined;
}

/** Builds the right subclass for a status (0 for no answer), from the answer's body and what the caller adds. */
function errorForStatus(
  context: RequestContext,
  status: number,
  body?: unknown,
  details: Omit<ErrorDetails, "detail" | "fields"> = {},
): TravelPerkError {
  const all: ErrorDetails = { ...explain(body), ...details };
  // Only a 401 is about the credential sent: the hint says which one; a 403 is about its permissions.
  if (status !== 401) delete all.hint;
  if (status === 0) return new NetworkError(context, 0, all);
  if (status === 400) return new InvalidRequestError(context, status, all);
  if (status === 401 || status === 403) return new AuthenticationError(context, status, all);
  if (status === 404) return new NotFoundError(context, status, all);
  if (status === 409 || status === 422) return new ConflictError(context, status, all);
  if (status === 429) return new RateLimitError(context, status, all);
  if (status >= 500) return new ServerError(context, status, all);
  return new TravelPerkError(context, status, all);
}

/** A network failure as plain facts (code and message), without the axios error's config and its headers. */
function networkFailure(error: AxiosError): Error {
  const underlying = error.cause instanceof Error && !isAxiosError(error.cause) ? error.cause : undefined;
  // A URL in the message keeps its path only: a query string can hold an e-mail filter.
  const message = (underlying?.message || error.message || "connection failed").replace(/\?\S*/g, "");
  const failure = new Error(message);
  failure.name = "NetworkFailure";
  return Object.assign(failure, { code: error.code ?? (underlying as { code?: unknown } | undefined)?.code });
}

/**
 * Converts whatever a request threw into a TravelPerkError, dropping headers and config; `details`
 * adds what the caller knows (the target, a 401's hint).
 */
export function toTravelPerkError(
  error: unknown,
  context: RequestContext,
  details: Pick<ErrorDetails, "target" | "hint"> = {},
): TravelPerkError {
  if (error instanceof TravelPerkError) return error;
  if (isAxiosError(error)) {
    const { response } = error;
    if (response)
      return errorForStatus(context, response.status, response.data, {
        ...details,
        requestId: requestIdOf(response.headers),
      });
    // Only the error code is quoted: axios messages can quote the URL (and so a query string).
    return new NetworkError(context, 0, {
      detail: error.code ?? "connection failed",
      target: details.target,
      cause: networkFailure(error),
    });
  }
  return new NetworkError(context, 0, {
    detail: error instanceof Error ? error.message : String(error),
    target: details.target,
    cause: error,
  });
}
