/**
 * The summary as Markdown for a pull-request comment or a job summary: counts first, then each list
 * with the person's changes under them, the dated lists, and the guard's verdict as quotes. The
 * README's samples and the CLI tests hold this output byte for byte.
 */
import type { DatedPerson } from "../lifecycle";
import type { GuardResult } from "./guard";
import type { PersonChange, RosterSummary } from "./model";

const show = (value: unknown) =>
  value === undefined || value === null ? "(none)" : `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;

function details(p: PersonChange): string[] {
  const lines: string[] = [];
  for (const f of p.fields) lines.push(`${f.field}: ${show(f.from)} → ${show(f.to)}`);
  if (p.policy)
    lines.push(
      p.policy.to === undefined
        ? `travel policy removed (was ${p.policy.from ?? "none"})`
        : p.policy.from === undefined
          ? `travel policy: ${p.policy.to}`
          : `travel policy: ${p.policy.from} → ${p.policy.to}`,
    );
  for (const g of p.joins) lines.push(`joins ${g}`);
  for (const g of p.leaves) lines.push(`leaves ${g}`);
  return lines;
}

/**
 * Renders the summary (and the guard's verdict) as Markdown for a pull-request comment.
 *
 * @param summary The summary to render.
 * @param guard The guard's verdict, when a guard was applied. Default: none.
 * @param title The heading's title. Default: `"TravelPerk roster"`.
 */
export function summaryMarkdown(summary: RosterSummary, guard?: GuardResult, title = "TravelPerk roster"): string {
  const { added, changed, offboarded } = summary;
  const scheduled = offboarded.filter((p) => p.reason === "endDate");
  const removed = offboarded.filter((p) => p.reason !== "endDate");
  const out: string[] = [
    `## ${title}: ${added.length} added, ${changed.length} changed, ${offboarded.length} offboarded` +
      (scheduled.length > 0 ? ` (${scheduled.length} end date passed)` : "") +
      (summary.removedFromGroups.length > 0
        ? `, ${summary.removedFromGroups.length} removed from authoritative groups`
        : ""),
    "",
  ];
  if (added.length + changed.length + offboarded.length + summary.removedFromGroups.length === 0)
    out.push("No change to the roster.", "");
  const section = (heading: string, people: PersonChange[], head: (p: PersonChange) => string, withDetails = true) => {
    if (people.length === 0) return;
    out.push(`### ${heading} (${people.length})`, "");
    for (const p of people) {
      out.push(`- **${p.email}**${p.protected ? " (protected)" : ""}${head(p)}`);
      if (withDetails) for (const line of details(p)) out.push(`  - ${line}`);
    }
    out.push("");
  };
  section("Added", added, (p) =>
    [p.name, p.role]
      .filter(Boolean)
      .map((s) => ` — ${s}`)
      .join(""),
  );
  section("Changed", changed, () => "");
  section("Offboarded", removed, (p) => ` — ${p.offboard ?? "deactivated"}`, false);
  section(
    "Offboarded: end date passed",
    scheduled,
    (p) => ` — ${p.offboard ?? "deactivated"} — last day ${p.endDate ?? "?"}`,
    false,
  );
  if (summary.removedFromGroups.length > 0) {
    // Members the roster does not list, added to an authoritative group in TravelPerk directly.
    out.push(`### Removed from authoritative groups (${summary.removedFromGroups.length})`, "");
    for (const r of summary.removedFromGroups)
      out.push(`- **${r.email ?? r.userId}** — leaves ${r.group} (not in the roster)`);
    out.push("");
  }
  const when = (days: number) => (days === 0 ? "today" : days === 1 ? "tomorrow" : `in ${days} days`);
  const dated = (heading: string, people: DatedPerson[] | undefined, prefix: string) => {
    if (!people?.length) return;
    out.push(`### ${heading} within ${summary.horizonDays ?? 0} days (${people.length})`, "");
    for (const p of people) out.push(`- **${p.email}** — ${prefix}${p.date} (${when(p.inDays)})`);
    out.push("");
  };
  dated("Starting", summary.starting, "first day ");
  dated("Leaving", summary.leaving, "last day ");
  if (summary.today !== undefined) out.push(`Dates applied on ${summary.today} (${summary.timeZone ?? "UTC"}).`, "");
  if (guard) out.push(...guardLines(guard));
  return out.join("\n");
}

/** The guard's verdict as Markdown quotes: one line per check that has something to say. */
function guardLines(guard: GuardResult): string[] {
  const lines: string[] = [];
  if (guard.rule !== undefined && guard.limit !== undefined) {
    // Members removed from authoritative groups count with the offboarded (one entry per person).
    const removed = guard.removedFromGroups;
    const count = guard.offboarding.length + removed.length;
    const also = removed.length > 0 ? " or removed from authoritative groups" : "";
    lines.push(
      count > guard.limit
        ? `> **Offboarding guard tripped:** ${count} people would be offboarded${also}; the limit is ${guard.limit} (--max-offboard ${guard.rule}): ${[...guard.offboarding, ...removed].join(", ")}`
        : `> Offboarding guard passed: ${guard.offboarding.length} offboarded${removed.length > 0 ? `, ${removed.length} removed from authoritative groups` : ""}, limit ${guard.limit} (--max-offboard ${guard.rule}).`,
    );
  }
  for (const c of guard.protectedChanges) {
    lines.push(
      c.allowed
        ? `> Protected change allowed (--allow-protected ${c.email}): ${c.email} ${c.change} (${c.detail}).`
        : `> **Protected person:** ${c.email} would be ${c.change} (${c.detail}); nothing is applied unless \`--allow-protected ${c.email}\` is given once the change is reviewed.`,
    );
  }
  const admins = guard.admins;
  if (admins && admins.losing.length > 0) {
    const who = `${admins.losing.length} company_admin${admins.losing.length === 1 ? "" : "s"}`;
    lines.push(
      admins.tripped
        ? `> **Admin floor tripped:** ${who} would be demoted or offboarded (${admins.losing.join(", ")}); ${admins.remaining} would remain, fewer than --min-admins ${admins.min}.`
        : `> Admin floor passed: ${who} demoted or offboarded (${admins.losing.join(", ")}); ${admins.remaining} remain (--min-admins ${admins.min}).`,
    );
  }
  if (guard.tripped)
    lines.push(
      `> **Guard tripped** (${guard.reasons.length} reason${guard.reasons.length === 1 ? "" : "s"}): nothing may be applied until each is resolved.`,
    );
  return lines.length > 0 ? lines.flatMap((line) => [line, ""]) : [];
}
