/**
 * Starts the reference SCIM 2.0 server (the PyPI package `scim2-server`, written by others) for tests
 * of the SCIM transport. The server runs from memory in a Python child process, through the launcher
 * test/reference-scim/serve.py, which serves the RFC 7643 User (with the enterprise extension and our
 * TravelPerk extension, test/reference-scim/travelperk-user.schema.json) and Group resource types.
 *
 * Python dependencies: `python3 -m pip install -r requirements-test.txt`. Set REFERENCE_SCIM_PYTHON to
 * use another interpreter (e.g. a virtualenv's python). A missing package fails the test, it does not
 * skip it.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "child_process";
import { randomBytes } from "crypto";
import * as path from "path";

export const CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const CORE_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const TRAVELPERK_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User";
export const PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const SCIM_CONTENT_TYPE = "application/scim+json";

const LAUNCHER = path.resolve(__dirname, "../reference-scim/serve.py");
const INSTALL_HINT = "python3 -m pip install -r requirements-test.txt";

export interface StartReferenceScimOptions {
  /**
   * Bearer token the server demands (401 without it). Default: a random token; `false`: no
   * authentication at all.
   */
  token?: string | false;
  /** How long to wait for the server to listen. Default 20 s. */
  readyTimeoutMs?: number;
}

export interface ScimResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined for an empty body (204, 304). */
  body: unknown;
}

export interface ReferenceScim {
  /** SCIM base URL without trailing slash, e.g. http://127.0.0.1:PORT/v2 (endpoints: `${url}/Users`). */
  url: string;
  /** The bearer token the server demands, or undefined when it accepts every request. */
  token?: string;
  /** Process id of the Python server. */
  pid: number;
  /** One request to the server, with the token and an application/scim+json body. */
  request(
    method: string,
    pathAndQuery: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ScimResponse>;
  /** POST /Groups; returns the created group (its `id` among others). Throws unless 201. */
  createGroup(displayName: string, memberIds?: string[]): Promise<{ id: string } & Record<string, unknown>>;
  /** Kills the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** The interpreter that runs the launcher: REFERENCE_SCIM_PYTHON, else python3. */
export function referenceScimPython(): string {
  return process.env.REFERENCE_SCIM_PYTHON ?? "python3";
}

/** true when the interpreter can import scim2_server. */
export function referenceScimAvailable(): boolean {
  const result = spawnSync(referenceScimPython(), ["-c", "import scim2_server"], { stdio: "ignore" });
  return result.status === 0;
}

/** Throws an error saying how to install the Python package when it is missing. */
export function assertReferenceScimAvailable(): void {
  if (!referenceScimAvailable()) {
    throw new Error(
      `The reference SCIM server is not installed: ${referenceScimPython()} cannot import scim2_server. ` +
        `Run \`${INSTALL_HINT}\` (or set REFERENCE_SCIM_PYTHON to an interpreter that has it).`,
    );
  }
}

export async function startReferenceScim(options: StartReferenceScimOptions = {}): Promise<ReferenceScim> {
  assertReferenceScimAvailable();
  const token = options.token === false ? undefined : (options.token ?? randomBytes(16).toString("hex"));
  const args = [LAUNCHER, "--port", "0", ...(token === undefined ? [] : ["--bearer-token", token])];
  // stdin stays open: the launcher exits when it closes, so a crashed test run leaves no server behind.
  const child = spawn(referenceScimPython(), args, { stdio: ["pipe", "pipe", "pipe"] });
  const url = await waitForReady(child, options.readyTimeoutMs ?? 20_000);
  const pid = child.pid!;

  const request = async (
    method: string,
    pathAndQuery: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ScimResponse> => {
    const allHeaders: Record<string, string> = { Accept: SCIM_CONTENT_TYPE, ...headers };
    if (token !== undefined) allHeaders.Authorization = `Bearer ${token}`;
    if (body !== undefined) allHeaders["Content-Type"] = SCIM_CONTENT_TYPE;
    const response = await fetch(`${url}${pathAndQuery}`, {
      method,
      headers: allHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
  };

  const createGroup = async (
    displayName: string,
    memberIds: string[] = [],
  ): Promise<{ id: string } & Record<string, unknown>> => {
    const group: Record<string, unknown> = { schemas: [CORE_GROUP_SCHEMA], displayName };
    if (memberIds.length > 0) group.members = memberIds.map((value) => ({ value }));
    const response = await request("POST", "/Groups", group);
    if (response.status !== 201) {
      throw new Error(`POST /Groups answered ${response.status}: ${JSON.stringify(response.body)}`);
    }
    return response.body as { id: string } & Record<string, unknown>;
  };

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) =>
      child.once("exit", () => {
        resolve();
      }),
    );
    child.stdin.end();
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  return { url, token, pid, request, createGroup, stop };
}

function waitForReady(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const fail = (reason: string): void => {
      cleanup();
      child.kill("SIGKILL");
      const missing = /No module named '?(scim2_server|scim2_models)/.test(stderr) ? ` Run \`${INSTALL_HINT}\`.` : "";
      reject(new Error(`reference SCIM server: ${reason}.${missing}\n${stderr.trim()}`));
    };
    const onStdout = (chunk: Buffer): void => {
      stdout += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url !== undefined) {
        cleanup();
        // Keep draining both pipes so that the server never blocks on a full pipe.
        child.stdout.resume();
        child.stderr.resume();
        resolve(url);
      }
    };
    const onStderr = (chunk: Buffer): void => {
      stderr += chunk.toString();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      fail(`exited before listening (code ${String(code)}, signal ${String(signal)})`);
    };
    const onError = (error: Error): void => {
      fail(`cannot start ${referenceScimPython()}: ${error.message}`);
    };
    const timer = setTimeout(() => {
      fail(`not listening after ${timeoutMs} ms`);
    }, timeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout.off("data", onStdout);
      child.stderr.off("data", onStderr);
      child.off("exit", onExit);
      child.off("error", onError);
    }
    child.stdout.on("data", onStdout);
    child.stderr.on("data", onStderr);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}
