/**
 * A PostgreSQL state backend for the tests: TP_TEST_POSTGRES_URL (what `.ci/run` exports after
 * `scripts/postgres.sh start`), else, outside CI, a cluster of our own started by that script under a
 * temporary directory and stopped afterwards. Under CI (CI=true) a missing URL is an error, never a
 * skip: a suite that did not run must not pass.
 */
import { execFile } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";

const SCRIPT = path.resolve(__dirname, "../../scripts/postgres.sh");
const PSQL = path.join(process.env.TP_POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin", "psql");

export interface PostgresBackend {
  /** PULUMI_BACKEND_URL: the database URL plus `table=` a table of this run's own. */
  url: string;
  /** The table holding this run's state (Pulumi creates it on first use). */
  table: string;
  /** The database URL as given (no `table`), for psql. */
  databaseUrl: string;
  /** The role's password, decoded: what must never appear in output. */
  password: string;
  /** Where the URL came from. */
  source: "TP_TEST_POSTGRES_URL" | "scripts/postgres.sh";
  /** Rows of `table` whose key matches the SQL LIKE pattern. */
  keys(like: string): Promise<string[]>;
  /** Stops the cluster when we started it; drops the table otherwise. */
  close(): Promise<void>;
}

export async function postgresBackend(): Promise<PostgresBackend> {
  let databaseUrl = process.env.TP_TEST_POSTGRES_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!databaseUrl) {
    if (process.env.CI === "true")
      throw new Error(
        "TP_TEST_POSTGRES_URL is not set under CI: .ci/run starts PostgreSQL with scripts/postgres.sh and exports it",
      );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tp-test-postgres-"));
    const env = { ...process.env, TP_POSTGRES_DIR: dir };
    databaseUrl = (await promisify(execFile)("bash", [SCRIPT, "start"], { env })).stdout.trim();
    stop = async () => {
      await promisify(execFile)("bash", [SCRIPT, "stop"], { env });
    };
  }
  const table = `tp_test_${randomBytes(4).toString("hex")}`;
  const parsed = new URL(databaseUrl);
  parsed.searchParams.set("table", table);
  const psql = async (sql: string): Promise<string> =>
    (await promisify(execFile)(PSQL, ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, databaseUrl])).stdout;
  return {
    url: parsed.toString(),
    table,
    databaseUrl,
    password: decodeURIComponent(parsed.password),
    source: stop ? "scripts/postgres.sh" : "TP_TEST_POSTGRES_URL",
    keys: async (like) =>
      (await psql(`SELECT key FROM ${table} WHERE key LIKE '${like.replace(/'/g, "''")}' ORDER BY key`))
        .split("\n")
        .filter((line) => line !== ""),
    close: async () => {
      if (stop) await stop();
      else await psql(`DROP TABLE IF EXISTS ${table}`);
    },
  };
}
