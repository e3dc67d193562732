/**
 * The guard a plan passes before it is applied: the offboarding limit (`--max-offboard`), protected
 * people (`protect: true`, reviewed ones let through with `--allow-protected`) and the admin floor
 * (`--min-admins`). It reads the summary (and, for the admins, the steps' old and new state) and
 * says, one sentence per reason, why a plan must not be applied.
 */
import { DEFAULT_MIN_ADMINS, isDemotion } from "../lifecycle";
import { RESOURCE_KINDS, isResourceType } from "../../type-tokens";
import type { PersonChange, RosterSummary } from "./model";
import { CREATE_OPS, DELETE_OPS, type PlannedStep } from "./steps";

/** A change to a protected person: offboarding, deleting or demoting them. */
export interface ProtectedChange {
  /** The person's e-mail. */
  email: string;
  /** The person's key. */
  key: string;
  /** What the plan does: `deactivated`, `deleted` or `demoted`. */
  change: "deactivated" | "deleted" | "demoted";
  /** Why, in words: e.g. `end date 2025-03-31 passed`, `removed from the roster`, `role company_admin → traveler`. */
  detail: string;
  /** Whether `--allow-protected` names the person, so the change passes. */
  allowed: boolean;
}

/** The admin floor: active company admins before and after the plan. */
export interface AdminFloor {
  /** The fewest active company admins the plan may leave (`--min-admins`). */
  min: number;
  /** Active company admins in the stack before the plan. */
  before: number;
  /** Active company admins the plan leaves. */
  remaining: number;
  /** E-mails of the company admins the plan demotes or offboards. */
  losing: string[];
  /** Whether the plan demotes or offboards an admin and leaves fewer than `min`. */
  tripped: boolean;
}

/**
 * The guard's verdict: the offboarding limit (`--max-offboard`, a count "5" or a share "10%" of the
 * people managed before), protected people and the admin floor.
 */
export interface GuardResult {
  /** Whether any check tripped (see `reasons`): the change should be refused. */
  tripped: boolean;
  /** The most people that may be offboarded, as computed from the rule; present with `--max-offboard`. */
  limit?: number;
  /** E-mails of the people being deactivated or deleted (retained people are not counted). */
  offboarding: string[];
  /** Members removed from authoritative groups who are not people of the roster, one per person as `e-mail (group, …)` (the id where no e-mail is known); counted against `--max-offboard` with `offboarding`. */
  removedFromGroups: string[];
  /** The `--max-offboard` rule as given, e.g. `5` or `10%`; present with `--max-offboard`. */
  rule?: string;
  /** Every reason the guard tripped, one sentence each; empty when it passed. */
  reasons: string[];
  /** Every change to a protected person, allowed or not. */
  protectedChanges: ProtectedChange[];
  /** The admin floor's count; absent when only the offboarding limit was checked ({@link offboardGuard}). */
  admins?: AdminFloor;
}

/** What {@link rosterGuard} checks. */
export interface GuardOptions {
  /** `--max-offboard`: a number of people (`"5"`) or a share of the people managed before (`"10%"`). Default: no limit. */
  maxOffboard?: string;
  /** `--min-admins`: fewest active company admins a plan that demotes or offboards one may leave. Default: 1. */
  minAdmins?: number;
  /** `--allow-protected`: e-mails (or keys) of protected people whose change in this plan was reviewed. Default: none. */
  allowProtected?: readonly string[];
}

/**
 * Parses and applies `--max-offboard`. Retained people are not offboarded: their accounts stay as they are.
 *
 * @param summary The summary to check.
 * @param max A number of people (`"5"`) or a share of the people managed before (`"10%"`).
 * @throws Error when `max` is neither.
 */
export function offboardGuard(summary: RosterSummary, max: string): GuardResult {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(max);
  if (!match)
    throw new Error(`--max-offboard must be a number of people (e.g. 3) or a percentage (e.g. 10%), got "${max}"`);
  const value = Number(match[1]);
  const limit = match[2] ? Math.floor((value / 100) * summary.peopleBefore) : Math.floor(value);
  const offboarding = summary.offboarded.filter((p) => p.offboard !== "retained").map((p) => p.email);
  const rule = max.trim();
  const removedFromGroups = groupRemovals(summary);
  const count = offboarding.length + removedFromGroups.length;
  const tripped = count > limit;
  const reasons = tripped
    ? [
        `${count} people would be offboarded${removedFromGroups.length > 0 ? " or removed from authoritative groups" : ""}; the limit is ${limit} (--max-offboard ${rule}): ${[...offboarding, ...removedFromGroups].join(", ")}`,
      ]
    : [];
  return { tripped, limit, offboarding, removedFromGroups, rule, reasons, protectedChanges: [] };
}

/** The members authoritative groups lose who are no roster people, one entry per person: `e-mail (group, …)`. */
function groupRemovals(summary: RosterSummary): string[] {
  const byUser = new Map<string, { who: string; groups: string[] }>();
  for (const r of summary.removedFromGroups) {
    const entry = byUser.get(r.userId) ?? { who: r.email ?? r.userId, groups: [] };
    entry.groups.push(r.group);
    byUser.set(r.userId, entry);
  }
  return [...byUser.values()].map(({ who, groups }) => `${who} (${groups.join(", ")})`);
}

/** Changes the plan makes to protected people (marked by {@link summarize}). */
function protectedChanges(summary: RosterSummary, allow: readonly string[]): ProtectedChange[] {
  const allowed = new Set(allow.map((who) => who.trim().toLowerCase()));
  const changes: ProtectedChange[] = [];
  const add = (p: PersonChange, change: ProtectedChange["change"], detail: string) =>
    changes.push({
      email: p.email,
      key: p.key,
      change,
      detail,
      allowed: allowed.has(p.email.toLowerCase()) || allowed.has(p.key.toLowerCase()),
    });
  for (const p of summary.offboarded) {
    if (!p.protected || p.offboard === "retained") continue;
    const why =
      p.reason === "endDate"
        ? `end date ${p.endDate ?? "?"} passed`
        : p.reason === "removed"
          ? "removed from the roster"
          : "no longer declared";
    add(p, p.offboard === "deleted" ? "deleted" : "deactivated", why);
  }
  for (const p of summary.changed) {
    if (!p.protected) continue;
    const role = p.fields.find((f) => f.field === "role");
    if (role && isDemotion(role.from, role.to)) add(p, "demoted", `role ${String(role.from)} → ${String(role.to)}`);
    const active = p.fields.find((f) => f.field === "isActive");
    if (active && active.from !== false && active.to === false) add(p, "deactivated", "isActive: false");
  }
  return changes.sort((a, b) => a.email.localeCompare(b.email));
}

/** Active company admins before and after the plan, from the User steps' old and new state (same steps included). */
function adminFloor(steps: readonly PlannedStep[], min: number): AdminFloor {
  const before = new Set<string>();
  const after = new Set<string>();
  const emails = new Map<string, string>();
  for (const step of steps) {
    if (!isResourceType(step.type, RESOURCE_KINDS.user)) continue;
    const email = step.newInputs?.email ?? step.oldInputs?.email ?? step.oldOutputs?.email;
    const who = typeof email === "string" ? email : step.name;
    // Per e-mail: a new key taking an account over is one person, not an admin lost and one gained.
    const id = who.toLowerCase();
    if (!emails.has(id)) emails.set(id, who);
    const existed = !CREATE_OPS.has(step.op) && (step.oldInputs !== undefined || step.oldOutputs !== undefined);
    const oldRole = step.oldOutputs?.role ?? step.oldInputs?.role;
    const wasActive = (step.oldOutputs?.isActive ?? step.oldInputs?.isActive) !== false;
    const wasAdmin = existed && oldRole === "company_admin" && wasActive;
    if (wasAdmin) before.add(id);
    if (DELETE_OPS.has(step.op)) {
      // A retained account stays as it is; a replaced one lives on in its replacement's step.
      const onDelete = step.oldOutputs?.onDelete ?? step.oldInputs?.onDelete;
      if (wasAdmin && step.op === "delete" && onDelete === "retain") after.add(id);
      continue;
    }
    if (step.newInputs === undefined) {
      if (wasAdmin) after.add(id);
      continue;
    }
    // A role no longer declared stays as TravelPerk holds it.
    const role = step.newInputs.role ?? (existed ? oldRole : undefined);
    if (role === "company_admin" && step.newInputs.isActive !== false) after.add(id);
  }
  const losing = [...before]
    .filter((id) => !after.has(id))
    .map((id) => emails.get(id) ?? id)
    .sort();
  return {
    min,
    before: before.size,
    remaining: after.size,
    losing,
    tripped: losing.length > 0 && after.size < min,
  };
}

/**
 * The whole guard: the offboarding limit (with `maxOffboard`), protected people (always) and the
 * admin floor (always; `minAdmins` default 1). A plan that demotes or offboards no admin never trips
 * the floor, whatever the count.
 *
 * @param summary The summary of the plan, built with the roster's calendar so protection is known.
 * @param steps The plan's steps, `same` steps included (the admins are counted from their state).
 * @param options The limits and the reviewed protected changes.
 * @throws Error when `maxOffboard` is neither a count nor a percentage, or `minAdmins` is not a whole number.
 */
export function rosterGuard(
  summary: RosterSummary,
  steps: readonly PlannedStep[],
  options: GuardOptions = {},
): GuardResult {
  const min = options.minAdmins ?? DEFAULT_MIN_ADMINS;
  if (!Number.isInteger(min) || min < 0) throw new Error(`--min-admins must be a whole number, got ${min}`);
  const offboard = options.maxOffboard === undefined ? undefined : offboardGuard(summary, options.maxOffboard);
  const changes = protectedChanges(summary, options.allowProtected ?? []);
  const admins = adminFloor(steps, min);
  const reasons = [...(offboard?.reasons ?? [])];
  for (const c of changes.filter((c) => !c.allowed))
    reasons.push(
      `protected person ${c.email} would be ${c.change} (${c.detail}); pass --allow-protected ${c.email} once the change is reviewed`,
    );
  if (admins.tripped)
    reasons.push(
      `${admins.losing.length} company_admin${admins.losing.length === 1 ? "" : "s"} would be demoted or offboarded (${admins.losing.join(", ")}); ${admins.remaining} would remain, fewer than --min-admins ${min}`,
    );
  return {
    tripped: reasons.length > 0,
    ...(offboard ? { limit: offboard.limit, rule: offboard.rule } : {}),
    offboarding: summary.offboarded.filter((p) => p.offboard !== "retained").map((p) => p.email),
    removedFromGroups: groupRemovals(summary),
    reasons,
    protectedChanges: changes,
    admins,
  };
}
