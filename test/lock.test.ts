/**
 * The sentence for an update refused by the stack's lock (provider/cli/lock.ts), from the messages the
 * Automation API raises: a self-managed backend's lock (as the postgres backend words it) and Pulumi
 * Cloud's 409.
 */
import { describeStackLock, stackLock } from "../provider/cli/lock";

/** Pulumi's stderr for `up` on a locked PostgreSQL-backed stack, as the CommandError quotes it (twice). */
const stderr =
  "Command failed with exit code 1: pulumi up --yes --skip-preview --exec-kind auto.inline --stack dev --non-interactive\n" +
  "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
  "  postgres://****:****@127.0.0.1:41497/pulumi_state/.pulumi/locks/organization/roster/prod/f85f9a09-44e5-4fc9-9713-9cfe19b14d6a.json?sslmode=disable&table=tp: created by runner@ci-7 (pid 29819) at 2026-12-02T16:23:03Z\n";
const POSTGRES = `code: -2\n stdout: \n stderr: ${stderr}\n err?: Error: ${stderr}\n`;

test("a self-managed backend's lock: the stack and who holds it, once", () => {
  expect(stackLock(POSTGRES)).toEqual({
    stack: "prod",
    holders: ["runner@ci-7, pid 29819, since 2026-12-02T16:23:03Z"],
  });
  expect(describeStackLock(POSTGRES)).toBe(
    "another update of stack prod is running (locked by runner@ci-7, pid 29819, since 2026-12-02T16:23:03Z); " +
      "wait for it, or run `pulumi cancel` if it was killed",
  );
});

test("two lock files, the legacy layout without projects, and a file backend's path", () => {
  const message =
    "error: the stack is currently locked by 2 lock(s). Either wait …\n" +
    "  file:///srv/state/.pulumi/locks/dev/a.json: created by ana@laptop (pid 1) at 2026-01-01T00:00:00Z\n" +
    "  file:///srv/state/.pulumi/locks/dev/b.json: created by ci@runner (pid 2) at 2026-01-01T00:00:01Z\n";
  expect(stackLock(message)).toEqual({
    stack: "dev",
    holders: ["ana@laptop, pid 1, since 2026-01-01T00:00:00Z", "ci@runner, pid 2, since 2026-01-01T00:00:01Z"],
  });
});

test("Pulumi Cloud's conflict names no holder: the stack from the command line", () => {
  const message =
    " stderr: Command failed with exit code 255: pulumi up --yes --skip-preview --stack acme/roster/prod --non-interactive\n" +
    "error: [409] Conflict: Another update is currently in progress.\n";
  expect(describeStackLock(message)).toBe(
    "another update of stack acme/roster/prod is running; wait for it, or run `pulumi cancel` if it was killed",
  );
});

test("any other error is left alone", () => {
  expect(
    describeStackLock("code: 255\n stderr: error: failed to ping PostgreSQL: connection refused\n"),
  ).toBeUndefined();
});
