/**
 * The token cache: one file (mode 0600, in a 0700 folder, never inside the repository) where the
 * processes of a command share each OAuth token chain, so none of them sends a refresh token that
 * another has already spent, and a fresh access token is obtained once rather than per process.
 *
 * A chain is found by any refresh token it ever held: the one in the stack config may be long spent
 * while the file holds the newest. Spent tokens are kept only as SHA-256 fingerprints. Every change
 * happens under the file's lock (proper-lockfile) and is written by rename, so a reader never sees
 * half a file.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as lockfile from "proper-lockfile";
import { hasProjectFile } from "../project-file";

/** An access token and when it expires (epoch ms). */
export interface CachedAccess {
  token: string;
  expiresAt: number;
  lifetimeMs: number;
}

/** One token chain as the file holds it. */
export interface TokenChain {
  /** Fingerprint of the OAuth client (token URL and client id). */
  client: string;
  /** The newest refresh token of the chain: the one to use next. */
  head: string;
  /** Fingerprints of the chain's refresh tokens that a grant has spent, oldest first. */
  spent: string[];
  access?: CachedAccess;
  /** Epoch ms of the last change. */
  updatedAt: number;
}

interface CacheFile {
  version: 1;
  chains: TokenChain[];
}

/** Spent fingerprints kept per chain, and how long an untouched chain is kept. */
const MAX_SPENT = 64;
const KEEP_UNUSED_MS = 90 * 24 * 3600_000;

/** A SHA-256 fingerprint (hex): what the file keeps of a spent token, and how clients are told apart. */
export function fingerprint(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

/** Raised when a token cache would be written inside a repository or Pulumi project. */
export class TokenCacheInRepositoryError extends Error {
  constructor(file: string, root: string, key: string) {
    super(
      `${key} names ${file}, inside ${root}: a token cache holds live refresh tokens and must never be committed. ` +
        "Name a file outside the repository, e.g. ~/.cache/pulumi-travelperk/tokens.json (the default).",
    );
    this.name = "TokenCacheInRepositoryError";
  }
}

/** The folders a token cache must stay out of: the git work tree and the Pulumi project around `cwd`. */
function protectedRoots(cwd: string): string[] {
  const roots: string[] = [];
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ".git"))) roots.push(dir);
    if (hasProjectFile(dir)) roots.push(dir);
    if (path.dirname(dir) === dir) return roots;
  }
}

/** Throws when `file` lies inside the repository or project around `cwd`. */
export function assertOutsideRepository(file: string, key: string, cwd = process.cwd()): void {
  const resolved = path.resolve(file);
  for (const root of protectedRoots(cwd)) {
    const relative = path.relative(root, resolved);
    const above = relative === ".." || relative.startsWith(`..${path.sep}`);
    if (relative !== "" && !above && !path.isAbsolute(relative))
      throw new TokenCacheInRepositoryError(resolved, root, key);
  }
}

function readFile(file: string): CacheFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, chains: [] };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CacheFile>;
    return { version: 1, chains: Array.isArray(parsed.chains) ? parsed.chains : [] };
  } catch {
    return { version: 1, chains: [] }; // a damaged cache is rebuilt from the stack's token
  }
}

function writeFile(file: string, content: CacheFile): void {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(content)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/**
 * The spent fingerprints a chain keeps: its first (the token it began from, which a stack config may
 * hold for good while the file is the store) and the newest.
 */
function keptSpent(spent: string[]): string[] {
  return spent.length <= MAX_SPENT ? spent : [...spent.slice(0, 1), ...spent.slice(-(MAX_SPENT - 1))];
}

function belongs(chain: TokenChain, client: string, refreshToken: string): boolean {
  if (chain.client !== client) return false;
  const known = fingerprint(refreshToken);
  return chain.head === refreshToken || chain.spent.includes(known);
}

/** A token cache file. */
export class TokenCache {
  constructor(readonly file: string) {}

  /** The chain `refreshToken` belongs to, read without the lock (for reports and `save-token`). */
  find(client: string, refreshToken: string): TokenChain | undefined {
    return readFile(this.file).chains.find((chain) => belongs(chain, client, refreshToken));
  }

  /**
   * Under the file's lock: hands `change` the chain `refreshToken` belongs to (a new one starting at
   * it when none does) and stores the chain it returns. One process at a time; the others wait.
   */
  async update<T>(
    client: string,
    refreshToken: string,
    change: (chain: TokenChain) => Promise<{ chain: TokenChain; result: T }>,
  ): Promise<T> {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(this.file, {
      realpath: false,
      stale: 15_000,
      retries: { retries: 200, factor: 1.3, minTimeout: 10, maxTimeout: 250 },
    });
    try {
      const content = readFile(this.file);
      const now = Date.now();
      const index = content.chains.findIndex((chain) => belongs(chain, client, refreshToken));
      const found = index >= 0 ? content.chains[index] : undefined;
      const { chain, result } = await change(found ?? { client, head: refreshToken, spent: [], updatedAt: now });
      const kept = content.chains.filter((other, i) => i !== index && now - other.updatedAt < KEEP_UNUSED_MS);
      writeFile(this.file, {
        version: 1,
        chains: [...kept, { ...chain, spent: keptSpent(chain.spent), updatedAt: now }],
      });
      return result;
    } finally {
      await release();
    }
  }
}
