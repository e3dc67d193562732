/**
 * The sandbox's optional state file (the `persistFile` option): loaded once at start when present, then
 * written after writes (debounced, so a burst of writes saves once) and on stop, atomically (a temporary
 * file renamed over the old one, so a crash never leaves half a file).
 */
import * as fs from "node:fs";
import type { Snapshot } from "./records";

export class Persistence {
  private saveTimer?: NodeJS.Timeout;
  /** Set once the file is loaded, so that the constructor's seeding never overwrites it. */
  private active = false;

  constructor(
    private readonly file: string | undefined,
    private readonly state: { snapshot: () => Snapshot; load: (s: Snapshot) => void },
  ) {}

  /** Loads the file when it exists and starts saving (the file is written at once). */
  load(): void {
    if (!this.file) return;
    if (fs.existsSync(this.file)) this.state.load(JSON.parse(fs.readFileSync(this.file, "utf8")) as Snapshot);
    this.active = true;
    this.flush();
  }

  /** A save soon: called after every change. */
  schedule(): void {
    if (this.active)
      this.saveTimer ??= setTimeout(() => {
        this.flush();
      }, 25); // debounced: a burst of writes saves once
  }

  /** Writes the state now, to a temporary file renamed over the old one, so a crash never leaves half a file. */
  flush(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.file || !this.active) return;
    fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(this.state.snapshot(), null, 2));
    fs.renameSync(`${this.file}.tmp`, this.file);
  }
}
