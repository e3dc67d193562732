/**
 * What Pulumi stores as `__provider` when the package is installed as users install it (npm pack →
 * npm install): small, a require of a stable exported entry point, and free of any credential.
 */
import * as fs from "fs";
import * as path from "path";
import { serializedProvider } from "./helpers/serialize";

const program = process.env.TP_TEST_PROGRAM!;
const ENTRIES = ["user", "group-membership", "group-members", "policy-assignment"] as const;

test.each(ENTRIES)("the %s provider serializes to a small require of its entry point", async (entry) => {
  process.env.TRAVELPERK_ACCESS_TOKEN = "tp_at_must-not-leak-0123456789";
  process.env.TRAVELPERK_API_KEY = "tp_key_must-not-leak-0123456789";
  try {
    const text = await serializedProvider(program, entry);
    console.log(`__provider of ${entry}: ${String(Buffer.byteLength(text))} bytes`);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(400);
    expect(text).toContain(`require("pulumi-travelperk/entry/${entry}")`);
    expect(text).not.toContain("must-not-leak");
    expect(text).not.toMatch(/axios|zod|dist\//);
  } finally {
    delete process.env.TRAVELPERK_ACCESS_TOKEN;
    delete process.env.TRAVELPERK_API_KEY;
  }
});

test("every entry point the serialized providers require is exported by the package", () => {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(program, "node_modules/pulumi-travelperk/package.json"), "utf8"),
  ) as { exports: Record<string, unknown> };
  for (const name of ["./runtime", ...ENTRIES.map((e) => `./entry/${e}`)])
    expect(Object.keys(pkg.exports)).toContain(name);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed copy of the package, by name
  const runtime = require(require.resolve("pulumi-travelperk/runtime", { paths: [program] })) as Record<
    string,
    unknown
  >;
  expect(Object.keys(runtime)).toEqual(
    expect.arrayContaining(["configure", "user", "groupMembership", "groupMembers", "policyAssignment"]),
  );
});

test("the installed package is a copy, not a link to this checkout", () => {
  expect(fs.lstatSync(path.join(program, "node_modules/pulumi-travelperk")).isSymbolicLink()).toBe(false);
});
