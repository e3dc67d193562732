/**
 * The inner loop's promise kept honest: the README's "Tests" section names the same suites as
 * test/cli-suites.js, every listed suite exists, and no suite left to `npm run test:unit` (nor a
 * test helper it imports) reaches for the Pulumi CLI, the packed program, the build's dist/ or the
 * reference SCIM server's Python.
 */
import * as fs from "fs";
import * as path from "path";

const LISTS = ["CLI_SUITES", "BUILD_SUITES", "TIMING_SUITES", "PYTHON_SUITES"] as const;
type List = (typeof LISTS)[number];
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS list shared with jest.unit.config.js
const lists = require("./cli-suites") as Record<List, string[]>;

const ROOT = path.resolve(__dirname, "..");
const suiteFile = (name: string) => path.join(__dirname, `${name}.test.ts`);
const allSuites = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => f.replace(/\.test\.ts$/, ""));
const listed = LISTS.flatMap((list) => lists[list]);
const notUnit = new Set(listed);

test("the README's Tests section lists the same suites as test/cli-suites.js", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = /^## Tests\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";
  expect(section).toContain("npm run test:unit");
  for (const list of LISTS) {
    const names = lists[list];
    const bullet = section.split("\n").find((line) => line.startsWith("- ") && line.includes(`(\`${list}\`)`));
    expect(bullet).toBeDefined();
    // The names follow the list's name: "… (`CLI_SUITES`): `e2e`, `fuzz`, …;"
    const afterName = (bullet ?? "").split(`(\`${list}\`):`)[1] ?? "";
    const named = [...afterName.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    expect({ list, named }).toEqual({ list, named: [...names].sort() });
  }
});

test("every listed suite exists, and each is listed once", () => {
  expect(listed.filter((name) => !fs.existsSync(suiteFile(name)))).toEqual([]);
  expect(new Set(listed).size).toBe(listed.length);
});

/** The file and the test helpers it imports, transitively. */
function withHelpers(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file) || !fs.existsSync(file)) return seen;
  seen.add(file);
  const text = fs.readFileSync(file, "utf8");
  for (const [, spec = ""] of text.matchAll(/from "(\.{1,2}\/(?:helpers\/)?[^"]+)"/g)) {
    const target = path.resolve(path.dirname(file), spec);
    if (!target.startsWith(path.join(__dirname, "helpers"))) continue;
    for (const candidate of [`${target}.ts`, `${target}.js`, path.join(target, "index.ts")])
      withHelpers(candidate, seen);
  }
  return seen;
}

test("no unit suite needs the Pulumi CLI, the packed program, dist/ or the reference server's Python", () => {
  const needs = /PULUMI_CLI_ROOT|TP_TEST_PROGRAM|\bdist\/|"pack"|REFERENCE_SCIM_PYTHON/;
  const offenders = allSuites
    .filter((name) => !notUnit.has(name) && name !== "suites") // this file names what it looks for
    .flatMap((name) =>
      [...withHelpers(suiteFile(name))]
        .filter((file) => needs.test(fs.readFileSync(file, "utf8").replace(/^\s*(\*|\/\/).*$/gm, "")))
        .map((file) => `${name}: ${path.relative(ROOT, file)}`),
    );
  expect(offenders).toEqual([]);
});
