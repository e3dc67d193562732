/**
 * The package as it is published: the committed roster JSON Schema is current and the example roster
 * follows it, and `npm pack` ships exactly what users need (compiled code with types, the schema, the
 * README, LICENSE and CHANGELOG) and nothing else. `npm test` builds first, so dist/ is current.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { parse as parseYaml } from "yaml";
import { parseRoster } from "../provider/roster/load";
import { rosterJsonSchema } from "../provider/roster/schema";
import { at } from "./helpers/at";

const ROOT = path.resolve(__dirname, "..");
const SCHEMA_FILE = path.join(ROOT, "schema", "roster.schema.json");
const EXAMPLE_ROSTER = path.join(ROOT, "examples", "roster", "roster.yaml");

const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, "utf8"));

describe("the roster JSON Schema (schema/roster.schema.json)", () => {
  test("is committed and equal to a fresh generation from the zod schema", () => {
    expect(fs.existsSync(SCHEMA_FILE)).toBe(true);
    // Same content (a readable diff when the zod schema changed without `npm run schema`) …
    expect(readJson(SCHEMA_FILE)).toEqual(rosterJsonSchema());
    // … and the same bytes: the compiled generator compares its exact output with the committed file.
    const check = path.join(ROOT, "dist", "scripts", "schema.js");
    expect(() => execFileSync(process.execPath, [check, "--check"], { cwd: ROOT, stdio: "pipe" })).not.toThrow();
  });

  test("uses only keywords that draft-07 and 2020-12 share, so the draft-07 validator below checks all of it", () => {
    const shared = new Set([
      ...["$schema", "$id", "$ref", "$defs", "definitions", "title", "description", "default", "examples"],
      ...["type", "enum", "const", "properties", "required", "additionalProperties", "items"],
      ...["pattern", "format", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum"],
      ...["exclusiveMaximum", "minItems", "maxItems", "uniqueItems", "anyOf", "oneOf", "allOf", "not"],
      "propertyNames", // draft-06 on: the top-level groups map's keys
    ]);
    const unknown: string[] = [];
    const visit = (schema: unknown, pointer: string): void => {
      if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return;
      const node = schema as Record<string, unknown>;
      for (const key of Object.keys(node)) if (!shared.has(key)) unknown.push(`${pointer}/${key}`);
      for (const key of ["properties", "$defs", "definitions"]) {
        for (const [name, child] of Object.entries((node[key] ?? {}) as Record<string, unknown>)) {
          visit(child, `${pointer}/${key}/${name}`);
        }
      }
      for (const key of ["anyOf", "oneOf", "allOf"]) {
        ((node[key] ?? []) as unknown[]).forEach((child, i) => {
          visit(child, `${pointer}/${key}/${String(i)}`);
        });
      }
      for (const key of ["items", "additionalProperties", "propertyNames", "not"])
        visit(node[key], `${pointer}/${key}`);
    };
    visit(readJson(SCHEMA_FILE), "#");
    expect(unknown).toEqual([]);
  });

  test("is what examples/roster/roster.yaml names for editors, and the example follows it", () => {
    const text = fs.readFileSync(EXAMPLE_ROSTER, "utf8");
    const reference = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1];
    expect(reference).toBeDefined();
    expect(path.resolve(path.dirname(EXAMPLE_ROSTER), reference ?? "")).toBe(SCHEMA_FILE);

    // The JSON Schema, as an editor or CI applies it. ajv 6 (draft-07) comes with ESLint; it does not
    // know the 2020-12 meta-schema, so the schema itself is not meta-validated (see the keyword test).
    const validate = new Ajv({ allErrors: true, validateSchema: false }).compile(readJson(SCHEMA_FILE) as object);
    const data = parseYaml(text) as { people: Record<string, unknown>[] };
    const valid = validate(data);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The loader (YAML with line numbers, then the zod schema) accepts it too.
    expect(parseRoster(text, EXAMPLE_ROSTER).roster.people).toHaveLength(data.people.length);

    // The schema does refuse what it should, so the pass above means something.
    const [first] = data.people;
    expect(validate({ people: [{ ...first, role: "boss" }] })).toBe(false);
    expect(validate({ people: [{ ...first, nickname: "x" }] })).toBe(false);
    expect(validate({ people: [{ firstName: "No", lastName: "Email" }] })).toBe(false);
  });
});

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

interface Manifest {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  files: string[];
  license: string;
  engines: { node: string };
}

describe("npm pack", () => {
  const manifest = readJson(path.join(ROOT, "package.json")) as Manifest;
  let pack: PackResult;
  let files: string[];

  beforeAll(() => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    pack = at(JSON.parse(out) as PackResult[], 0);
    files = pack.files.map((f) => f.path).sort();
    const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
    process.stdout.write(
      `npm pack: ${String(files.length)} files, ${kB(pack.size)} packed, ${kB(pack.unpackedSize)} unpacked (${pack.filename})\n`,
    );
  }, 60_000);

  test("ships only dist/provider, dist/sandbox, schema/ and the top-level documents", () => {
    const topLevel = new Set(["package.json", "README.md", "LICENSE", "CHANGELOG.md"]);
    const outside = files.filter((f) => !topLevel.has(f) && !/^(dist\/provider\/|dist\/sandbox\/|schema\/)/.test(f));
    expect(outside).toEqual([]);
    for (const file of topLevel) expect(files).toContain(file);
    expect(files).toContain("schema/roster.schema.json");
  });

  test("ships no tests, examples, scripts, TypeScript sources or source maps", () => {
    expect(files.filter((f) => /(^|\/)(test|tests|__tests__|examples|scripts)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /\.test\.|\.spec\./.test(f))).toEqual([]);
    expect(files.filter((f) => /\.(ts|mts|cts)$/.test(f) && !/\.d\.(ts|mts|cts)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
  });

  test("ships no stale build output: every compiled file has its source", () => {
    const stale = files
      .filter((f) => f.startsWith("dist/") && /\.(js|d\.ts)$/.test(f))
      .filter((f) => !fs.existsSync(path.join(ROOT, f.replace(/^dist\//, "").replace(/(\.d\.ts|\.js)$/, ".ts"))));
    expect(stale).toEqual([]);
  });

  test("ships every entry point in `exports`, `main`, `types` and both commands", () => {
    const targets = new Set<string>();
    for (const target of Object.values(manifest.exports)) {
      for (const file of typeof target === "string" ? [target] : Object.values(target)) targets.add(file);
    }
    targets.add(manifest.main).add(manifest.types);
    for (const bin of Object.values(manifest.bin)) targets.add(bin);
    const missing = [...targets].map((t) => t.replace(/^\.\//, "")).filter((t) => !files.includes(t));
    expect(missing).toEqual([]);
    expect(manifest.exports["./schema/roster.schema.json"]).toBe("./schema/roster.schema.json");
    // The public contract: what state stores as `require("pulumi-travelperk/…")`.
    for (const entry of [
      "./runtime",
      "./entry/user",
      "./entry/group-membership",
      "./entry/group-members",
      "./entry/policy-assignment",
    ]) {
      expect(manifest.exports).toHaveProperty([entry]);
    }
  });

  test("both commands are executables users can run", () => {
    expect(manifest.bin).toEqual({
      "pulumi-travelperk": "dist/provider/cli/main.js",
      "travelperk-sandbox": "dist/sandbox/cli.js",
    });
    for (const bin of Object.values(manifest.bin)) {
      expect(fs.readFileSync(path.join(ROOT, bin), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    }
  });

  test("declares its license and the Node.js versions it supports", () => {
    expect(manifest.license).toBe("Apache-2.0");
    expect(manifest.engines.node).toBe(">=20");
    const license = fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8");
    expect(license).toContain("Apache License\n                           Version 2.0, January 2004");
    expect(license).toContain("Copyright 2026 The pulumi-travelperk authors");
    const changelog = fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(/^## \[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}$/m);
  });
});
