/**
 * Reading a setting's value for one connection: the stack config the engine delivered (remembered
 * by `setStackConfig`), then the environment, then, for the settings of the machine or the run, the
 * default connection's value. Values come with the key or variable they came from, so messages name
 * the source and never the value; numbers, choices and the `rateControl` JSON are checked here.
 */
import { DEFAULT_CONNECTION, currentConnection } from "./connection";
import { DEFAULTS, type RateControl } from "./defaults";
import { SETTINGS, SHARED_SETTINGS, settingFor, type Setting, type SettingName } from "./settings";

/** A source of config values: the engine's `configure` request or a plain map. */
export interface ConfigSource {
  get(key: string): string | undefined;
  /** Every key, where the source can list them (to find the connections a stack configures). */
  keys?(): Iterable<string>;
}

let stackConfig: ConfigSource | undefined;

/** Remembers the stack config the engine delivered; called from each provider's `configure`. */
export function setStackConfig(config: ConfigSource | undefined): void {
  stackConfig = config;
}

/** A value and the key or variable it came from (messages name the source, never the value). */
export interface Found {
  value: string;
  from: string;
}

/** Raised when a numeric setting does not hold a usable number. */
class InvalidSettingError extends Error {
  constructor(setting: Setting, value: string) {
    super(`${setting.configKey} / ${setting.envVar} must be a non-negative number, got "${value}"`);
    this.name = "InvalidSettingError";
  }
}

/** Raised when a setting holds a value outside its choices. */
class InvalidChoiceError extends Error {
  constructor(setting: Setting, value: string, choices: readonly string[]) {
    super(
      `${setting.configKey} / ${setting.envVar} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got "${value}"`,
    );
    this.name = "InvalidChoiceError";
  }
}

/** A setting's value and source for a connection; `source` undefined means the stack config. */
export function lookup(
  name: SettingName,
  connection: string,
  env: NodeJS.ProcessEnv,
  source: ConfigSource | undefined = stackConfig,
): Found | undefined {
  const setting = settingFor(name, connection);
  const fromStack = source?.get(setting.configKey);
  if (typeof fromStack === "string" && fromStack !== "") return { value: fromStack, from: setting.configKey };
  const fromEnv = env[setting.envVar];
  if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, from: setting.envVar };
  if (connection !== DEFAULT_CONNECTION && SHARED_SETTINGS.has(name))
    return lookup(name, DEFAULT_CONNECTION, env, source);
  return undefined;
}

/** A setting's value for a connection, or undefined when nothing sets it. */
export function read(
  name: SettingName,
  connection: string,
  env: NodeJS.ProcessEnv,
  source?: ConfigSource,
): string | undefined {
  return lookup(name, connection, env, source)?.value;
}

/** A non-negative number, or `fallback` when nothing sets it. */
export function readNumber(name: SettingName, connection: string, env: NodeJS.ProcessEnv, fallback: number): number {
  const raw = read(name, connection, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new InvalidSettingError(settingFor(name, connection), raw);
  return value;
}

/** One of `choices` (trimmed, lower-cased), or `fallback` when nothing sets it. */
export function readChoice<Choice extends string>(
  name: SettingName,
  connection: string,
  env: NodeJS.ProcessEnv,
  choices: readonly Choice[],
  fallback: Choice,
): Choice {
  const raw = read(name, connection, env)?.trim().toLowerCase() ?? fallback;
  const choice = choices.find((c) => c === raw);
  if (choice === undefined) throw new InvalidChoiceError(settingFor(name, connection), raw, choices);
  return choice;
}

/** `travelperk:rateControl`: a JSON object whose keys are RATE_CONTROL's, each a non-negative number. */
export function readRateControl(connection: string, env: NodeJS.ProcessEnv): Partial<RateControl> {
  const raw = read("rateControl", connection, env);
  if (raw === undefined) return {};
  const setting = settingFor("rateControl", connection);
  const fail = (why: string) =>
    new Error(`${setting.configKey} / ${setting.envVar}: ${why}, got ${JSON.stringify(raw)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw fail("must be a JSON object");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw fail("must be a JSON object");
  const overrides: Partial<Record<keyof RateControl, number>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(DEFAULTS.pace, key))
      throw fail(`unknown parameter "${key}" (known: ${Object.keys(DEFAULTS.pace).join(", ")})`);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
      throw fail(`"${key}" must be a non-negative number`);
    overrides[key as keyof RateControl] = value;
  }
  return overrides;
}

/** The connections a config source names (`travelperk:<connection>.<setting>` keys), the default first. */
export function configuredConnections(source: ConfigSource | undefined = stackConfig): string[] {
  const names = new Set<string>([DEFAULT_CONNECTION]);
  const settingNames = new Set(Object.keys(SETTINGS));
  for (const key of source?.keys?.() ?? []) {
    const match = /^travelperk:([^.:]+)\.([A-Za-z]+)$/.exec(key);
    const [connection, name] = [match?.at(1), match?.at(2)];
    if (connection !== undefined && name !== undefined && settingNames.has(name)) names.add(connection);
  }
  return [...names];
}

/** Every stack config key and environment value a connection reads, as one string: equal settings, equal text. */
export function settingsFingerprint(env: NodeJS.ProcessEnv = process.env, connection = currentConnection()): string {
  return JSON.stringify((Object.keys(SETTINGS) as SettingName[]).map((name) => read(name, connection, env) ?? null));
}
