/**
 * `summarize`: the summary and the guard of `preview`, for a team's own program, from the engine
 * output it saved (`pulumi preview --event-log FILE` or `pulumi preview --json`). Runs nothing and
 * needs no credentials; with `--roster FILE` the roster's dates and protection count as well.
 */
import * as fs from "fs";
import * as path from "path";
import { CommanderError } from "commander";
import { rosterCalendar } from "../roster/lifecycle";
import { readRosterFile } from "../roster/load";
import {
  rosterGuard,
  stepsFromEventLog,
  stepsFromPreviewJson,
  summarize,
  summaryMarkdown,
  type GuardResult,
  type RosterSummary,
} from "../roster/summary";
import { EXIT } from "./run";

/** The flags of `pulumi-travelperk summarize`, as commander hands them over. */
export interface SummarizeOptions {
  eventLog?: string;
  previewJson?: string;
  roster?: string;
  maxOffboard?: string;
  summary?: string;
  json?: boolean;
  today?: string;
  horizon?: number;
  allowProtected?: string[];
  minAdmins?: number;
}

/** The summary of the engine output the flags name, and the guard's verdict on it. */
export function summarizeEngineOutput(opts: SummarizeOptions): {
  summary: RosterSummary;
  guard: GuardResult;
  markdown: string;
} {
  let steps;
  if (opts.eventLog) steps = stepsFromEventLog(fs.readFileSync(opts.eventLog, "utf8"));
  else if (opts.previewJson) steps = stepsFromPreviewJson(JSON.parse(fs.readFileSync(opts.previewJson, "utf8")));
  else throw new CommanderError(EXIT.usage, "usage", "summarize needs --event-log FILE or --preview-json FILE");
  const calendar =
    opts.roster === undefined
      ? undefined
      : rosterCalendar(readRosterFile(path.resolve(opts.roster)), { today: opts.today, horizonDays: opts.horizon });
  const summary = summarize(steps, undefined, calendar);
  const guard = rosterGuard(summary, steps, {
    maxOffboard: opts.maxOffboard,
    minAdmins: opts.minAdmins,
    allowProtected: opts.allowProtected,
  });
  return { summary, guard, markdown: summaryMarkdown(summary, guard) };
}
