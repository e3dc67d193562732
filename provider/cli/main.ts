#!/usr/bin/env node
/**
 * `npx pulumi-travelperk …`: the roster commands. `preview` and `up` run the roster as an inline
 * program through the Automation API in the current Pulumi project, print the summary a reviewer
 * reads and apply the offboarding guard; `summarize` does the same for a team's own program from
 * engine output; `export` writes the organisation as a roster file.
 *
 * Exit codes: 0 done, 1 failed (invalid roster, API or engine error), 2 usage, 3 guard tripped,
 * 4 `export --update FILE --check`: the file and the organisation differ.
 */
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError, Option } from "commander";
import { EXIT, previewOrUp, type RosterRunOptions } from "./run";
import { EXIT_DRIFT, exportRoster, exportUpdate } from "./export";
import { loginCommand } from "./login";
import { DEFAULT_SCOPES, DEFAULT_TIMEOUT_SECONDS, SCIM_SCOPES, type LoginOptions } from "./login-settings";
import { connectionOption, lifecycleOptions, summaryOptions, todayOption, tokenStackOption } from "./options";
import { saveTokenCommand, type SaveTokenOptions } from "./save-token";
import { summarizeEngineOutput, type SummarizeOptions } from "./summarize";
import { InsecureCredentialsError } from "../stack-credentials";
import { describeStackLock } from "./lock";
import { describeUpdate } from "../roster/update-changes";
import { packageVersion } from "../version";

/** The flags of `preview` and `up`, but the plan's. */
function rosterOptions(command: Command): Command {
  return summaryOptions(
    lifecycleOptions(command)
      .option("--roster <file>", "the roster file", "roster.yaml")
      .option("--stack <name>", "the stack (default: the selected stack)")
      .option("--name <name>", "the name of the Roster component in the stack", "roster"),
  )
    .option("--refresh", "refresh from TravelPerk first, so drift made outside Pulumi shows")
    .option("--skip-checkpoints", "do not save state after every step (large rosters; every step is idempotent)")
    .addOption(connectionOption());
}

function writeResult(markdown: string, json: unknown, opts: { summary?: string; json?: boolean }): void {
  if (opts.summary) fs.writeFileSync(opts.summary, markdown);
  process.stdout.write(opts.json ? `${JSON.stringify(json, null, 2)}\n` : `${markdown}\n`);
}

export function buildCli(): Command {
  const program = new Command("pulumi-travelperk")
    .description("Keep a TravelPerk roster in git: preview, apply, summarize and export rosters")
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError();

  for (const kind of ["preview", "up"] as const) {
    rosterOptions(
      program
        .command(kind)
        .description(
          kind === "preview"
            ? "show who would be added, changed and offboarded"
            : "apply the roster (only when the guard passes)",
        ),
    )
      .addOption(
        kind === "preview"
          ? new Option("--save-plan <file>", "record the exact changes and the roster's hash, for up --plan")
          : new Option("--plan <file>", "apply only when a fresh preview plans exactly the changes of this saved plan"),
      )
      .action(async (opts: RosterRunOptions) => {
        const result = await previewOrUp(kind, opts);
        writeResult(
          result.markdown,
          { summary: result.summary, guard: result.guard, applied: result.applied, plan: result.plan },
          opts,
        );
        // A stale plan, like a tripped guard, applies nothing: exit 3.
        process.exitCode = result.guard?.tripped || result.plan?.agreed === false ? EXIT.guard : EXIT.ok;
      });
  }

  lifecycleOptions(
    summaryOptions(
      program
        .command("summarize")
        .description(
          "summarize engine output of your own program: pulumi preview --event-log FILE, or pulumi preview --json",
        )
        .addOption(
          new Option("--event-log <file>", "an engine event log (pulumi preview --event-log FILE)").conflicts(
            "previewJson",
          ),
        )
        .addOption(new Option("--preview-json <file>", "the output of pulumi preview --json"))
        .option(
          "--roster <file>",
          "the roster file, for its dates and protection (default: none, those checks are absent)",
        ),
    ),
  ).action((opts: SummarizeOptions) => {
    const { summary, guard, markdown } = summarizeEngineOutput(opts);
    writeResult(markdown, { summary, guard }, opts);
    process.exitCode = guard.tripped ? EXIT.guard : EXIT.ok;
  });

  program
    .command("export")
    .description("write the organisation as a roster file (to stdout, or --output FILE)")
    .option(
      "--stack <name>",
      "read credentials from this stack's config (default: the selected stack, else the environment)",
    )
    .option("--output <file>", "write to a file instead of stdout")
    .addOption(connectionOption())
    .addOption(todayOption())
    .addOption(
      new Option(
        "--update <file>",
        "write what differs in TravelPerk into this roster file in place, keeping its comments and order",
      ).conflicts("output"),
    )
    .option("--check", `with --update: change nothing, print what would change; exit ${EXIT_DRIFT} when it differs`)
    .action(
      async (
        opts: {
          stack?: string;
          output?: string;
          connection?: string;
          update?: string;
          check?: boolean;
          /** `--today YYYY-MM-DD`, passed to the export as `opts.today`; default: undefined (today). */
          today?: string;
        },
        command: Command,
      ) => {
        if (opts.check && !opts.update) command.error("--check needs --update FILE", { exitCode: EXIT.usage });
        if (opts.update) {
          const update = await exportUpdate(path.resolve(opts.update), opts);
          process.stdout.write(describeUpdate(update, opts.update, !opts.check));
          process.exitCode = opts.check && update.changes.length ? EXIT_DRIFT : EXIT.ok;
          return;
        }
        const text = await exportRoster(opts);
        if (opts.output) fs.writeFileSync(path.resolve(opts.output), text);
        else process.stdout.write(text);
      },
    );

  program
    .command("login")
    .description(
      "sign in to TravelPerk in the browser (OAuth 2.0 with PKCE) and store the refresh token as a secret in the stack config, or in --output FILE",
    )
    .option(
      "--client-id <id>",
      "your TravelPerk app's OAuth client id (else TRAVELPERK_CLIENT_ID, else travelperk:clientId)",
    )
    .option(
      "--client-secret <secret>",
      "its client secret (else TRAVELPERK_CLIENT_SECRET, else travelperk:clientSecret; the variable keeps it out of the process list)",
    )
    .option("--api-url <url>", "the TravelPerk API (else travelperk:apiUrl / TRAVELPERK_API_URL, else the live API)")
    .option(
      "--scopes <scopes>",
      `space-separated scopes (default "${DEFAULT_SCOPES}", plus "${SCIM_SCOPES}" when userApi is scim)`,
    )
    .addOption(tokenStackOption())
    .addOption(connectionOption())
    .option("--no-browser", "do not open a browser: print the sign-in URL and wait")
    .option(
      "--output <file>",
      "write a dotenv file (mode 0600) instead of the stack config; required outside a Pulumi project",
    )
    .option("--timeout <seconds>", "how long to wait for the browser", String(DEFAULT_TIMEOUT_SECONDS))
    .action(async (opts: LoginOptions) => {
      process.exitCode = await loginCommand(opts);
    });

  program
    .command("save-token")
    .description(
      "store the newest refresh token of a rotated chain (from the token cache) as a secret in the stack config, or in --output FILE; never prints it",
    )
    .addOption(tokenStackOption())
    .addOption(connectionOption())
    .option("--output <file>", "write a dotenv file (mode 0600) instead of the stack config")
    .action(async (opts: SaveTokenOptions) => {
      process.exitCode = await saveTokenCommand(opts);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    // Another update holds the stack's lock: one sentence saying what to do, not the engine's output.
    process.stderr.write(`pulumi-travelperk: ${describeStackLock(message) ?? message}\n`);
    // A credential stored in clear is a usage problem: nothing ran, the message holds the fix.
    return error instanceof InsecureCredentialsError ? EXIT.usage : EXIT.failed;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
