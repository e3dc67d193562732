/**
 * Opening a URL in the user's browser, for `login`: the platform's own opener, started detached.
 * Best effort only, since a machine without a desktop has none: the caller prints the URL as well.
 */
import { spawn } from "node:child_process";

/** Starts the platform's URL opener, detached; a missing opener or a failure is ignored. */
export function openInBrowser(url: string): void {
  const windows = process.platform === "win32";
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : windows
        ? ["cmd", ["/c", "start", '""', `"${url}"`]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: "ignore", windowsVerbatimArguments: windows });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // No opener: the URL is printed as well.
  }
}
