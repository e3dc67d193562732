import * as fs from "fs";
import * as path from "path";

/** This package's version, found by walking up from the compiled (or source) file to package.json. */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "pulumi-travelperk") return pkg.version ?? "0.0.0";
    }
    if (path.dirname(dir) === dir) return "0.0.0";
  }
}
