/**
 * `connection` on every resource, in one place: the input's validation, and a wrapper that runs each
 * provider method in its connection's scope (connection.ts), so a resource of `connection: "emea"`
 * reads `travelperk:emea.*` and uses that organisation's client, token chain and caches.
 *
 * The resource providers never see the input: the wrapper takes it off before calling them and puts
 * it back on what they return. Moving a resource to another connection replaces it (the object
 * lives in another organisation). The default connection is never written, so state written before
 * connections existed reads the same.
 */
import type * as pulumi from "@pulumi/pulumi";
import { resolveCredentials, resolveUserApi } from "../config";
import { CONNECTION_NAME, DEFAULT_CONNECTION, inConnection } from "../connection";

/** The `connection` argument every resource takes. */
export interface ConnectionArgs {
  /** The organisation's connection: settings from `travelperk:<connection>.*` (env `TRAVELPERK_<CONNECTION>_*`). Default: the default connection. Changing it replaces the resource. */
  connection?: pulumi.Input<string>;
}

type Props = Record<string, unknown>;

/**
 * One resource's provider methods (configure aside: the runtime's serves every resource), typed by its
 * inputs as `check` returns them and its outputs. Pulumi's typing hands `check` its `news` as `Inputs`
 * too: they are the program's values, unvalidated, so every check reads them as a property bag.
 */
export type ResourceProviderImpl<Inputs, Outputs> = Required<
  Omit<pulumi.dynamic.ResourceProvider<Inputs, Outputs>, "configure">
>;

/** What the engine calls: property bags as it sends them (the program's, or those in state). */
type EngineProvider = Required<Omit<pulumi.dynamic.ResourceProvider, "configure">>;

/** The connection a resource's properties name ("" = the default). */
function connectionOf(props: Props | undefined): string {
  const value = props?.connection;
  return typeof value === "string" ? value : DEFAULT_CONNECTION;
}

function without(props: Props | undefined): Props {
  const { connection: _connection, ...rest } = props ?? {};
  return rest;
}

function withConnection<T extends Props | undefined>(props: T, connection: string): T {
  return props === undefined || connection === DEFAULT_CONNECTION ? props : { ...props, connection };
}

/**
 * `result` with the connection added to the property bags named by `keys`; a bag the resource did
 * not answer stays absent (not `undefined`), so the answer is the resource's own otherwise.
 */
function carrying<R extends object>(result: R, keys: (keyof R & string)[], connection: string): R {
  const carried = { ...result } as Record<string, unknown>;
  for (const key of keys)
    if (carried[key] !== undefined) carried[key] = withConnection(carried[key] as Props, connection);
  return carried as R;
}

/** Why `connection` is refused, or undefined: a bad name, or a connection whose credentials conflict. */
function connectionFailure(value: unknown): string | undefined {
  if (value === undefined || value === null || value === DEFAULT_CONNECTION) return undefined;
  if (typeof value !== "string" || !CONNECTION_NAME.test(value))
    return 'must be a connection name: lower-case letters and digits, words joined by "-" or "_" (e.g. "emea")';
  try {
    resolveCredentials(process.env, value);
    resolveUserApi(process.env, value);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return undefined;
}

/**
 * `impl`, each method run in the connection its properties name. This is where the engine's property
 * bags meet the typed providers: without `connection`, inputs are what `check` returned and outputs
 * what `create`, `read` or `update` returned (or, for `check`, the program's values, unvalidated).
 */
export function scopedToConnection<Inputs, Outputs>(impl: ResourceProviderImpl<Inputs, Outputs>): EngineProvider {
  const inputs = (props: Props) => without(props) as Inputs;
  const outputs = (props: Props) => without(props) as Outputs;
  return {
    async check(olds: Props, news: Props) {
      const failure = connectionFailure(news.connection);
      if (failure) return { failures: [{ property: "connection", reason: failure }] };
      const connection = connectionOf(news);
      const result = await inConnection(connection, () => impl.check(inputs(olds), inputs(news)));
      return carrying(result, ["inputs"], connection);
    },

    async diff(id, olds: Props, news: Props) {
      if (connectionOf(olds) !== connectionOf(news))
        return { changes: true, replaces: ["connection"], deleteBeforeReplace: false };
      return inConnection(connectionOf(news), () => impl.diff(id, outputs(olds), inputs(news)));
    },

    async create(props: Props) {
      const connection = connectionOf(props);
      try {
        const result = await inConnection(connection, () => impl.create(inputs(props)));
        return carrying(result, ["outs"], connection);
      } catch (error) {
        // "Created but failed to initialise": the next run must find the resource in its connection.
        if (error && typeof error === "object" && "properties" in error)
          Object.assign(error, { properties: withConnection(error.properties as Props, connection) });
        throw error;
      }
    },

    async read(id, props: Props | undefined) {
      const connection = connectionOf(props);
      const result = await inConnection(connection, () => impl.read(id, props && outputs(props)));
      if (result.id === undefined) return result;
      return carrying(result, ["props", "inputs"], connection);
    },

    async update(id, olds: Props, news: Props) {
      const connection = connectionOf(news);
      const result = await inConnection(connection, () => impl.update(id, outputs(olds), inputs(news)));
      return carrying(result, ["outs"], connection);
    },

    delete(id, props: Props) {
      return inConnection(connectionOf(props), () => impl.delete(id, outputs(props)));
    },
  };
}
