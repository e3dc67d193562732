/**
 * The pulumi CLI as `login` runs it: the environment it needs in the project, and
 * `pulumi config set` with the value on its standard input, so that no token or client secret ever
 * stands on a command line (where the process list would show it).
 */
import { spawn } from "node:child_process";
import { cliEnvironment } from "../runner";
import { LoginError } from "./login-errors";

/** The environment for the pulumi CLI: the project's own (cliEnvironment) where the package resolves from it. */
export function pulumiEnvironment(workDir: string, env: NodeJS.ProcessEnv): Record<string, string> {
  try {
    return cliEnvironment({ workDir });
  } catch {
    // @pulumi/pulumi is not installed in the project (e.g. run through npx): config needs no plugin.
    return { PATH: env.PATH ?? "", PULUMI_SKIP_UPDATE_CHECK: "true" };
  }
}

/** Runs `pulumi config set [--secret|--plaintext] --stack S -- KEY` with the value on standard input. */
export async function pulumiConfigSet(
  workDir: string,
  env: Record<string, string>,
  stack: string,
  key: string,
  value: string,
  secret: boolean,
): Promise<void> {
  const args = ["config", "set", secret ? "--secret" : "--plaintext", "--stack", stack, "--non-interactive", "--", key];
  await new Promise<void>((resolve, reject) => {
    const child = spawn("pulumi", args, {
      cwd: workDir,
      env: { ...process.env, ...env },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let text = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      text += chunk;
    });
    child.on("error", (error) => {
      reject(new LoginError(`could not run the pulumi CLI (is it on PATH?): ${error.message}`));
    });
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new LoginError(`pulumi config set ${key} failed (exit ${String(code)}): ${text.trim()}`));
    });
    child.stdin.on("error", () => undefined); // an early exit is reported by "close"
    child.stdin.end(value);
  });
}
