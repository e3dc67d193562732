/**
 * The engine's steps, read in one place: the summary, the reviewed plan and the runner's step collector
 * all see a step as a {@link PlannedStep}, whether it comes from Automation API events, an `--event-log`
 * file or `pulumi preview --json`. A URN reads `urn:pulumi:<stack>::<project>::<qualified type>::<name>`
 * and the name is everything after the third `::`, so a name may hold `::` itself.
 */

/** One step the engine planned or applied, from whichever source. */
export interface PlannedStep {
  /** The engine's operation: `create`, `update`, `replace`, `delete`, `same`, … */
  op: string;
  /** The resource's URN. */
  urn: string;
  /** The resource's type token, e.g. `pulumi-nodejs:dynamic/travelperk:User` or `travelperk:index:Roster`. */
  type: string;
  /** The resource's name: the URN after its third `::` (a name may hold `::` itself). */
  name: string;
  /** The resource's id before the step, when it existed. */
  oldId?: string;
  /** The resource's inputs before the step, when it existed. */
  oldInputs?: Record<string, unknown>;
  /** The resource's outputs before the step, when it existed. */
  oldOutputs?: Record<string, unknown>;
  /** The resource's inputs after the step, unless it is deleted. */
  newInputs?: Record<string, unknown>;
  /** Top-level keys that differ, as the engine reports them. */
  diffs: string[];
}

/** Operations that bring a resource (in)to the stack. */
export const CREATE_OPS: ReadonlySet<string> = new Set(["create", "create-replacement"]);
/** Operations that take a resource out of the stack. */
export const DELETE_OPS: ReadonlySet<string> = new Set(["delete", "delete-replaced", "discard", "discard-replaced"]);
/** Operations that change a resource that stays. */
export const CHANGE_OPS: ReadonlySet<string> = new Set(["update", "replace"]);
/** Operations that change nothing in TravelPerk. */
export const QUIET_OPS: ReadonlySet<string> = new Set(["same", "read", "refresh"]);

type StateMetadata = {
  type?: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
};
type StepMetadata = {
  op: string;
  urn: string;
  type?: string;
  old?: StateMetadata;
  new?: StateMetadata;
  diffs?: string[];
};

/** A URN's resource type (the last of its `$`-joined qualified type: parents come first) and name. */
function urnParts(urn: string): { type: string; name: string } {
  const [, , qualifiedType = "", ...name] = urn.split("::");
  return { type: qualifiedType.split("$").pop() ?? "", name: name.join("::") };
}

function fromMetadata(m: StepMetadata): PlannedStep {
  const parts = urnParts(m.urn);
  return {
    op: m.op,
    urn: m.urn,
    type: m.type || parts.type, // the URN's type if the event carries none
    name: parts.name,
    oldId: m.old?.id,
    oldInputs: m.old?.inputs,
    oldOutputs: m.old?.outputs,
    newInputs: m.new?.inputs,
    diffs: m.diffs ?? [],
  };
}

/**
 * Steps from engine events (the Automation API's `onEvent`, or `--event-log` lines parsed as JSON).
 *
 * @param events Engine events; those without resource step metadata are skipped.
 */
export function stepsFromEngineEvents(events: readonly unknown[]): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (const event of events) {
    const metadata = (event as { resourcePreEvent?: { metadata?: StepMetadata } }).resourcePreEvent?.metadata;
    if (metadata?.urn) steps.push(fromMetadata(metadata));
  }
  return steps;
}

/**
 * Steps from the text of an `--event-log` file (one JSON engine event per line).
 *
 * @param text The file's text.
 */
export function stepsFromEventLog(text: string): PlannedStep[] {
  const events = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown);
  return stepsFromEngineEvents(events);
}

/**
 * Steps from `pulumi preview --json` output.
 *
 * @param json The output, parsed.
 */
export function stepsFromPreviewJson(json: unknown): PlannedStep[] {
  const steps =
    (
      json as {
        steps?: {
          op: string;
          urn: string;
          oldState?: StateMetadata;
          newState?: StateMetadata;
          diffReasons?: string[];
        }[];
      }
    ).steps ?? [];
  return steps.map((s) =>
    fromMetadata({
      op: s.op,
      urn: s.urn,
      type: s.newState?.type ?? s.oldState?.type,
      old: s.oldState,
      new: s.newState,
      diffs: s.diffReasons,
    }),
  );
}
