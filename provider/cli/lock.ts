/**
 * An update refused because another one holds the stack: Pulumi's self-managed backends (file, S3,
 * PostgreSQL…) answer "the stack is currently locked by N lock(s)" followed by one line per lock
 * file, Pulumi Cloud "[409] Conflict: Another update is currently in progress." The Automation API
 * wraps either in a long CommandError (the command line, its stdout and stderr, twice); this turns it
 * into the sentence an operator needs.
 */

const DIY_LOCKED = /the stack is currently locked by \d+ lock\(s\)/;
const CLOUD_CONFLICT = "[409] Conflict: Another update is currently in progress.";
/** `  <backend URL>/.pulumi/locks/[organization/<project>/]<stack>/<id>.json…: created by user@host (pid N) at TIME` */
const LOCK_LINE =
  /\.pulumi\/locks\/(?:organization\/[^/\s]+\/)?([^/\s]+)\/[^/\s?]+\.json\S*: created by (\S+) \(pid (\d+)\) at (\S+)/g;
/** `pulumi up … --stack NAME` in the command line the Automation API quotes. */
const STACK_FLAG = /\bpulumi (?:up|refresh|destroy|preview)\b[^\n]*?--stack (\S+)/;

interface StackLock {
  /** The stack's name, from the lock file's path or the command line; undefined when neither says. */
  stack?: string;
  /** Who holds it, one entry per lock file ("root@ci-runner-7, pid 4242, since 2025-01-01T10:00:00Z"). */
  holders: string[];
}

/** The lock an error reports, or undefined when the error is about something else. */
export function stackLock(message: string): StackLock | undefined {
  if (!DIY_LOCKED.test(message) && !message.includes(CLOUD_CONFLICT)) return undefined;
  const holders = new Map<string, string>(); // the CommandError repeats stderr: once per lock file
  let stack: string | undefined;
  for (const match of message.matchAll(LOCK_LINE)) {
    stack ??= match[1];
    holders.set(`${match[2]}/${match[3]}/${match[4]}`, `${match[2]}, pid ${match[3]}, since ${match[4]}`);
  }
  stack ??= STACK_FLAG.exec(message)?.[1];
  return { stack, holders: [...holders.values()] };
}

/** The sentence for a lock error; undefined when `message` reports no lock. */
export function describeStackLock(message: string): string | undefined {
  const lock = stackLock(message);
  if (!lock) return undefined;
  const stack = lock.stack === undefined ? "this stack" : `stack ${lock.stack}`;
  const by = lock.holders.length ? ` (locked by ${lock.holders.join("; ")})` : "";
  return `another update of ${stack} is running${by}; wait for it, or run \`pulumi cancel\` if it was killed`;
}
