/**
 * The package installed the way users install it: `npm pack` output installed with npm into a
 * program's node_modules (a copy, not a symlink). Built once per content hash and reused.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The repository root, from scripts/ (ts-jest) or dist/scripts/ (compiled). */
const ROOT = path.resolve(__dirname, path.basename(path.dirname(__dirname)) === "dist" ? "../.." : "..");

/** Packs dist/ and installs it into a program folder (cached per content under `cacheDir`); returns the folder. */
export function installPackedPackage(cacheDir = os.tmpdir()): string {
  if (!fs.existsSync(path.join(ROOT, "dist/provider/runtime.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
  }
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), "tp-pack-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: ROOT, encoding: "utf8" });
  const packed = (JSON.parse(out) as { filename: string }[]).at(0);
  if (!packed) throw new Error(`npm pack named no tarball: ${out}`);
  const tarball = path.join(packDir, packed.filename);
  const hash = createHash("sha256")
    .update(fs.readFileSync(tarball))
    .update(fs.readFileSync(path.join(ROOT, "package-lock.json")))
    .digest("hex")
    .slice(0, 16);
  const program = path.join(cacheDir, `pulumi-travelperk-program-${hash}`);
  if (!fs.existsSync(path.join(program, "node_modules/pulumi-travelperk/package.json"))) {
    const staging = `${program}.${String(process.pid)}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    fs.writeFileSync(
      path.join(staging, "package.json"),
      JSON.stringify({ name: "tp-test-program", version: "1.0.0", private: true }),
    );
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
      cwd: staging,
      stdio: ["ignore", "ignore", "inherit"],
    });
    fs.rmSync(program, { recursive: true, force: true });
    fs.renameSync(staging, program);
  }
  fs.rmSync(packDir, { recursive: true, force: true });
  return program;
}
