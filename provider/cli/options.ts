/**
 * The flags several commands share, defined once: the same name, help text, parser and default on
 * every command that has them, so that `--connection` or `--today` cannot come to mean different
 * things on two commands. A flag of one command only stays beside that command in main.ts.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { parseToday } from "../roster/dates";
import { DEFAULT_HORIZON_DAYS, DEFAULT_MIN_ADMINS, parseHorizon, parseMinAdmins } from "../roster/lifecycle";

/** A flag's value parser whose refusal is a usage error (exit 2) naming the flag. */
function usage<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}

/** `--connection <name>`: every command that reaches TravelPerk. */
export const connectionOption = (): Option =>
  new Option(
    "--connection <name>",
    "the organisation's named connection: config keys travelperk:<name>.*, variables TRAVELPERK_<NAME>_* (default: travelperk:*)",
  );

/** `--today <date>`: the commands that apply the roster's dates. */
export const todayOption = (): Option =>
  new Option(
    "--today <date>",
    "the day the roster's dates are applied on, YYYY-MM-DD (default: today in defaults.timeZone)",
  ).argParser(usage(parseToday));

/** `--stack <name>` of the commands that store a token (login, save-token). */
export const tokenStackOption = (): Option =>
  new Option("--stack <name>", "the stack whose config receives the token (default: the selected stack)");

/** `--today`, `--horizon`, `--allow-protected` and `--min-admins`: the dates and the protection checks. */
export function lifecycleOptions(command: Command): Command {
  return command
    .addOption(todayOption())
    .option(
      "--horizon <days>",
      "list people starting or leaving within this many days (today+N included)",
      usage(parseHorizon),
      DEFAULT_HORIZON_DAYS,
    )
    .option(
      "--allow-protected <email>",
      "let this reviewed change of a protected person pass the guard (repeatable)",
      (value: string, previous?: string[]) => [...(previous ?? []), value],
    )
    .option(
      "--min-admins <n>",
      "fail when a plan demoting or offboarding a company_admin leaves fewer active ones",
      usage(parseMinAdmins),
      DEFAULT_MIN_ADMINS,
    );
}

/** `--max-offboard`, `--summary` and `--json`: the guard's limit and where the summary goes. */
export function summaryOptions(command: Command): Command {
  return command
    .option("--max-offboard <N|P%>", "fail when more people would be offboarded than this count or share")
    .option("--summary <file>", "also write the Markdown summary to this file")
    .option("--json", "print the summary as JSON instead of Markdown");
}
