/**
 * Files that hold a credential: written with mode 0600 from the start (never readable by others,
 * not even for a moment), and a warning's question, whether such a file lies where git could commit
 * it. Used by `login --output` and `save-token --output`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Writes `text` to `file`, created with mode 0600 (and set to 0600 if it already existed). */
export function writePrivateFile(file: string, text: string): void {
  const fd = fs.openSync(file, "w", 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** The git work tree `file` lies inside (a token file there could be committed), or undefined. */
export function insideGitWorkTree(file: string): string | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ".git"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
