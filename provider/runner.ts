/**
 * Runs a Pulumi program the way this project's tests, demo and roster commands need: through the
 * Automation API with an inline program (no Node language host is needed), on a local or configured
 * backend, with the dynamic-provider plugin on the CLI's PATH.
 *
 * `pulumi-travelperk/runner` is public so teams can drive their own programs the same way.
 */
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import { SETTINGS, defaultTokenCachePath } from "./config";
import { hasProjectFile } from "./project-file";
import { stepsFromEngineEvents } from "./roster/summary/steps";
import { assertCredentialsSecret, rotationMessage, saveRotatedRefreshTokens } from "./stack-credentials";

/** Everything needed to open a stack for an inline program. */
export interface ProgramRun {
  /** The Pulumi project name. */
  projectName: string;
  /** The stack name, e.g. `dev`. */
  stackName: string;
  /** The program: a function that declares resources. */
  program: automation.PulumiFn;
  /**
   * The project folder. Its `node_modules` must hold `@pulumi/pulumi` and `pulumi-travelperk`: the
   * dynamic-provider plugin resolves both from here.
   */
  workDir: string;
  /** Backend URL, e.g. `file:///path/to/state`. Default: whatever `pulumi login` or `PULUMI_BACKEND_URL` says. */
  backendUrl?: string;
  /** Passphrase of the passphrase secrets provider. Default: `PULUMI_CONFIG_PASSPHRASE` from the environment. */
  passphrase?: string;
  /** Stack config to set before running, e.g. `{"travelperk:apiUrl": {value: url}}`. */
  config?: automation.ConfigMap;
  /** A folder holding `bin/pulumi`. Default: `pulumi` on PATH. */
  pulumiRoot?: string;
  /** Extra environment for the CLI and the provider process. */
  env?: Record<string, string>;
  /**
   * Told (without the token) when a refresh token TravelPerk rotated was written back to the stack
   * config, or could not be. Default: a line on stderr.
   *
   * @param message - what was stored where, or why it could not be (never a token)
   */
  onRotation?: (message: string) => void;
}

/**
 * The folder that ships `pulumi-resource-pulumi-nodejs`, the plugin that runs dynamic providers.
 *
 * @param workDir A folder whose `node_modules` holds `@pulumi/pulumi`.
 */
export function dynamicProviderPluginDir(workDir: string): string {
  return path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [workDir] }));
}

/**
 * The environment the CLI runs with: the plugin on PATH, the passphrase, no update checks.
 *
 * @param run The project folder, and optionally the passphrase and extra environment (see {@link ProgramRun}).
 */
export function cliEnvironment(run: Pick<ProgramRun, "workDir" | "passphrase" | "env">): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${dynamicProviderPluginDir(run.workDir)}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // The command's processes share one OAuth token chain through one named cache (a stack's own
    // travelperk:tokenCache still wins); the rotated token is written back after each operation.
    [SETTINGS.tokenCache.envVar]: process.env[SETTINGS.tokenCache.envVar] || defaultTokenCachePath(),
    ...run.env,
  };
  const passphrase = run.passphrase ?? process.env.PULUMI_CONFIG_PASSPHRASE;
  if (passphrase !== undefined) env.PULUMI_CONFIG_PASSPHRASE = passphrase;
  return env;
}

/**
 * Creates or selects the stack and sets the given config; run preview/up/refresh/destroy on it.
 * Refuses (InsecureCredentialsError) a stack that holds a credential without `--secret`. After each
 * preview, up, refresh and destroy, a refresh token that TravelPerk rotated is stored back in the
 * stack config as a secret.
 *
 * @param run The program, the stack and where and how to run it.
 */
export async function openStack(run: ProgramRun): Promise<automation.Stack> {
  // The program's own lookups run in this process: they use the same token cache as the CLI's.
  process.env[SETTINGS.tokenCache.envVar] ||= defaultTokenCachePath();
  const pulumiCommand = await automation.PulumiCommand.get(run.pulumiRoot ? { root: run.pulumiRoot } : {});
  const stack = await automation.LocalWorkspace.createOrSelectStack(
    { projectName: run.projectName, stackName: run.stackName, program: run.program },
    {
      workDir: run.workDir,
      pulumiCommand,
      envVars: cliEnvironment(run),
      // An existing Pulumi.yaml is the project's own (backend, config): it is used as it is.
      projectSettings: hasProjectFile(run.workDir)
        ? undefined
        : {
            name: run.projectName,
            runtime: "nodejs",
            // The plugin resolves @pulumi/pulumi from `main`; inline projects otherwise get the caller's cwd.
            main: run.workDir,
            ...(run.backendUrl ? { backend: { url: run.backendUrl } } : {}),
          },
    },
  );
  if (run.config) await stack.setAllConfig(run.config);
  await assertCredentialsSecret(stack);
  return savingRotatedTokens(stack, run.onRotation ?? ((message) => process.stderr.write(`${message}\n`)));
}

/** `stack`, with each operation followed by the write-back of rotated refresh tokens (also after a failure). */
function savingRotatedTokens(stack: automation.Stack, report: (message: string) => void): automation.Stack {
  const save = async () => {
    for (const rotation of await saveRotatedRefreshTokens(stack)) report(rotationMessage(stack.name, rotation));
  };
  for (const op of ["preview", "up", "refresh", "destroy"] as const) {
    const original = stack[op].bind(stack) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(stack, {
      [op]: async (...args: unknown[]) => {
        try {
          return await original(...args);
        } finally {
          await save().catch((error: unknown) => {
            report(
              `could not store a rotated refresh token: ${error instanceof Error ? error.message : String(error)}`,
            );
          });
        }
      },
    });
  }
  return stack;
}

/** One planned or applied step, from the engine's events. */
export interface StepEvent {
  /** The engine's operation: `create`, `update`, `replace`, `delete`, `same`, … */
  op: string;
  /** The resource's URN. */
  urn: string;
  /** The resource's type token, e.g. `pulumi-nodejs:dynamic/travelperk:User`. */
  type: string;
  /** The resource's name: the URN after its third `::` (a name may hold `::` itself). */
  name: string;
  /** Keys that differ, as the engine reports them (update and replace steps). */
  diffs: string[];
}

/**
 * Collects the engine's resource steps; pass `collector.onEvent` to preview/up/refresh/destroy.
 *
 * @property __type.onEvent The handler to pass as the Automation API's `onEvent` option; it takes one engine event.
 * @property __type.steps The steps seen so far, in the engine's order.
 */
export function stepCollector(): { onEvent: (event: automation.EngineEvent) => void; steps: StepEvent[] } {
  const steps: StepEvent[] = [];
  return {
    steps,
    onEvent(event) {
      // The summary's parser: one reading of a URN (a name may hold `::`) for both.
      for (const { op, urn, type, name, diffs } of stepsFromEngineEvents([event]))
        steps.push({ op, urn, type, name, diffs });
    },
  };
}
