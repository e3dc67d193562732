/**
 * Which TravelPerk organisation a call is for. A resource or lookup with `connection: "emea"` runs its
 * provider method inside that connection's scope; settings are then read from `travelperk:emea.*`
 * (env `TRAVELPERK_EMEA_*`) and the run context (client, scheduler, token chain, read caches) is that
 * connection's own. The scope follows the call through every `await` (AsyncLocalStorage), so the
 * collection functions need no extra argument; outside any scope the default connection is in force.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** The default connection: the unprefixed `travelperk:*` keys. */
export const DEFAULT_CONNECTION = "";

/** A connection name: lower-case letters and digits, words joined by `-` or `_` (e.g. `emea`, `us-west`). */
export const CONNECTION_NAME = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;

const scope = new AsyncLocalStorage<string>();

/** Runs `fn` for `connection` (undefined or "" = the default connection). */
export function inConnection<T>(connection: string | undefined, fn: () => T): T {
  return scope.run(connection ?? DEFAULT_CONNECTION, fn);
}

/** The connection in force for the current call. */
export function currentConnection(): string {
  return scope.getStore() ?? DEFAULT_CONNECTION;
}

/** The connection's name for messages: `connection "emea"` or `the default connection`. */
export function connectionLabel(connection: string): string {
  return connection === DEFAULT_CONNECTION ? "the default connection" : `connection "${connection}"`;
}
