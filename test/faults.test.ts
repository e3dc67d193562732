/**
 * A whole roster lifecycle with the sandbox's rate limit, 5xx faults and lost answers switched on:
 * everything converges, and no user is ever created twice.
 */
import * as runtime from "../provider/runtime";
import { at } from "./helpers/at";
import { useSandbox } from "./helpers/sandbox";

/** A seeded generator (mulberry32), so a failing run can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Backoff starts at 50 ms here (500 ms by default): enough for 20 concurrent callers to share 40 requests/s.
const sandbox = useSandbox({ rateLimit: 40, faultRate: 0.15, lostResponseRate: 0.15, random: seeded(7) }, 50);
const N = 20;

test(`${String(N)} users with memberships and policies converge under 429, 5xx and lost answers`, async () => {
  const { user, groupMembership, policyAssignment } = runtime;
  const eng = at(sandbox().listGroups(), 0);
  const standard = at(sandbox().listPolicies(), 0);
  const people = Array.from({ length: N }, (_, i) => ({
    email: `person${String(i)}@example.com`,
    firstName: `P${String(i)}`,
    lastName: "Test",
    role: "traveler",
  }));

  const created = await Promise.all(people.map(async (p) => user.create((await user.check({}, p)).inputs)));
  await Promise.all(created.map((c) => groupMembership.create({ groupId: eng.id, userId: c.id })));
  await Promise.all(created.map((c) => policyAssignment.create({ userId: c.id, policyId: standard.id })));

  const users = sandbox().listUsers();
  for (const p of people) expect(users.filter((u) => u.email.toLowerCase() === p.email)).toHaveLength(1);
  expect(users).toHaveLength(N);
  expect(new Set(created.map((c) => c.id)).size).toBe(N);
  expect([...sandbox().groupMembers(eng.id)].sort()).toEqual(created.map((c) => c.id).sort());
  for (const c of created) expect(sandbox().getUser(c.id)?.travel_policy?.id).toBe(standard.id);

  const reads = await Promise.all(created.map((c) => user.read(c.id, c.outs)));
  for (const [i, r] of reads.entries())
    expect(r.props).toEqual({ ...at(created, i).outs, travelPolicyId: standard.id });

  await Promise.all(created.map((c) => user.delete(c.id, c.outs)));
  expect(
    sandbox()
      .listUsers()
      .every((u) => u.is_active === false),
  ).toBe(true);
  expect(sandbox().listUsers()).toHaveLength(N);

  const log = sandbox().requests;
  const faults = { rateLimited: 0, serverError: 0, lostResponse: 0 };
  for (const r of log) {
    if (r.fault === "rate_limited") faults.rateLimited++;
    if (r.fault === "server_error") faults.serverError++;
    if (r.fault === "lost_response") faults.lostResponse++;
  }
  console.log(`fault run: ${String(log.length)} requests, ${JSON.stringify(faults)}`);
  expect(faults.rateLimited).toBeGreaterThan(0);
  expect(faults.serverError).toBeGreaterThan(0);
  expect(faults.lostResponse).toBeGreaterThan(0);
});
