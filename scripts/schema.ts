/**
 * `npm run schema`: writes schema/roster.schema.json, the roster file's JSON Schema for editors, from the
 * zod schema in provider/roster/schema.ts (the single source). The file is committed and shipped in the
 * package; test/package.test.ts fails when it differs from a fresh generation.
 *
 * `node dist/scripts/schema.js --check` writes nothing and exits 1 when the committed file is stale.
 */
import * as fs from "fs";
import * as path from "path";
import * as prettier from "prettier";
import { rosterJsonSchema } from "../provider/roster/schema";

/** The repository root, from scripts/ (ts-jest) or dist/scripts/ (compiled). */
const ROOT = path.resolve(__dirname, path.basename(path.dirname(__dirname)) === "dist" ? "../.." : "..");

/** Where the schema is committed, and where `exports["./schema/roster.schema.json"]` points. */
export const ROSTER_SCHEMA_FILE = path.join(ROOT, "schema", "roster.schema.json");

/**
 * The file's exact text: pretty-printed JSON laid out as the repository's Prettier config says (so
 * `prettier --check .` passes on it), with a trailing newline.
 */
export async function rosterSchemaText(): Promise<string> {
  const json = JSON.stringify(rosterJsonSchema(), null, 2);
  const options = await prettier.resolveConfig(ROSTER_SCHEMA_FILE);
  return prettier.format(json, { ...options, filepath: ROSTER_SCHEMA_FILE });
}

async function main(argv: readonly string[]): Promise<number> {
  const text = await rosterSchemaText();
  const relative = path.relative(process.cwd(), ROSTER_SCHEMA_FILE);
  if (argv.includes("--check")) {
    const current = fs.existsSync(ROSTER_SCHEMA_FILE) ? fs.readFileSync(ROSTER_SCHEMA_FILE, "utf8") : undefined;
    if (current === text) {
      console.log(`${relative} is up to date`);
      return 0;
    }
    console.error(`${relative} is stale: run \`npm run schema\` and commit the result`);
    return 1;
  }
  fs.mkdirSync(path.dirname(ROSTER_SCHEMA_FILE), { recursive: true });
  fs.writeFileSync(ROSTER_SCHEMA_FILE, text);
  console.log(`wrote ${relative} (${String(Buffer.byteLength(text))} bytes)`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
