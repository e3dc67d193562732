/** Where a Pulumi project's file is: one answer for every command that looks for one. */
import * as fs from "node:fs";
import * as path from "node:path";

/** The names Pulumi accepts for a project file, in the order it looks for them. */
const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.yml"] as const;

/** The project file in `dir`, or undefined when `dir` holds none. */
export function projectFile(dir: string): string | undefined {
  return PROJECT_FILES.map((file) => path.join(dir, file)).find((full) => fs.existsSync(full));
}

/** Whether `dir` holds a Pulumi project file. */
export function hasProjectFile(dir: string): boolean {
  return projectFile(dir) !== undefined;
}
