/**
 * What one run remembers, in one place: the HTTP client and its scheduler (the learned pace), what is
 * known of users and group members, which e-mails this run posted or took over, the lookups, and what
 * the server has shown it refuses, per connection (organisation). A command is one provider process, so
 * a run lives for one command; `configure` with a different stack config, or `startRun()`, replaces it.
 * Nothing here reaches state.
 */
import { settingsFingerprint, type UserApiKind } from "../config";
import { currentConnection } from "../connection";
import { Knowledge } from "./knowledge";

/** What the create path of this run remembers (see users/create.ts). */
export interface CreateMemory {
  /** E-mails (lower-cased) whose create got no answer or a 5xx in this run: the user may be ours. */
  readonly uncertainPosts: Set<string>;
  /** E-mails (lower-cased) of active accounts a create of this run took over from whoever had them. */
  readonly takenOver: Set<string>;
  /** E-mails (lower-cased) that a resource of this run created or took over: two may not share one. */
  readonly claimed: Set<string>;
}

/** The state of one run. Each field is created on first use. */
export class Run {
  readonly knowledge = new Knowledge();
  readonly creates: CreateMemory = { uncertainPosts: new Set(), takenOver: new Set(), claimed: new Set() };
  /** Lists fetched by lookups (policies, groups, users, cost centres), one fetch each per run. */
  readonly lookups = new Map<string, Promise<unknown[]>>();
  /** The lists that have arrived, for callers that must not send a request (summaries). */
  readonly fetched = new Map<string, unknown[]>();
  /** Per-transport state (ETags, what the server refuses), keyed by transport. */
  private readonly transports = new Map<string, unknown>();
  /** The HTTP client, owned by request.ts; rebuilt there when its settings change. */
  http: unknown;

  constructor(readonly fingerprint: string) {}

  /** The state a transport keeps for this run, made by `make` on first use. */
  transportState<T>(kind: UserApiKind | `${UserApiKind}-members` | "policies", make: () => T): T {
    let state = this.transports.get(kind) as T | undefined;
    if (state === undefined) {
      state = make();
      this.transports.set(kind, state);
    }
    return state;
  }
}

/** The runs in force, one per connection: nothing of one organisation's run reaches another's. */
const runs = new Map<string, Run>();

/** The run of the connection in force (see connection.ts); a first call starts one. */
export function currentRun(): Run {
  const connection = currentConnection();
  let run = runs.get(connection);
  if (!run) {
    run = new Run(settingsFingerprint(process.env, connection));
    runs.set(connection, run);
  }
  return run;
}

/** Starts a new run for every connection: everything remembered is forgotten, the pace is learned again. */
export function startRun(): void {
  runs.clear();
}

/**
 * After `configure`: the engine configures once per serialized provider (one per resource kind) with
 * the same stack config within a command, so only a connection whose config differs starts a new run.
 */
export function runForSettings(): void {
  for (const [connection, run] of runs)
    if (run.fingerprint !== settingsFingerprint(process.env, connection)) runs.delete(connection);
}
