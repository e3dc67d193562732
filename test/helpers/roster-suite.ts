/**
 * A roster suite whose steps build on each other (roster-groups, roster-lifecycle): one sandbox and
 * one project folder with a `dev` stack pointing at it, made before the suite's tests and stopped after
 * them, when the suite's wall time is logged.
 */
import { startSandbox, type SandboxServer } from "../../sandbox/server";
import { RosterProject, type Run } from "./roster-project";

export interface RosterSuite {
  sandbox: () => SandboxServer;
  projects: () => RosterProject;
  /** The project folder. */
  project: () => string;
  /** `pulumi-travelperk <args> --stack dev` in the project folder. */
  tp: (args: string[]) => Promise<Run>;
}

/** Registers the suite's beforeAll/afterAll for a project named `projectName`; `label` names the suite in the time line. */
export function useRosterSuite(projectName: string, label: string): RosterSuite {
  const started = Date.now();
  let sandbox: SandboxServer | undefined;
  let projects: RosterProject | undefined;
  let project: string | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox();
    projects = new RosterProject(sandbox);
    project = await projects.create(projectName, "dev");
  });
  afterAll(async () => {
    await sandbox?.stop();
    console.log(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`${label}: the sandbox and the project are made in beforeAll`);
    return value;
  };
  return {
    sandbox: () => made(sandbox),
    projects: () => made(projects),
    project: () => made(project),
    tp: (args) => made(projects).tp([...args, "--stack", "dev"], made(project)),
  };
}

/** The exit code, with the command's stderr in the failure message when it is not the one expected. */
export function expectCode(run: Run, code: number): void {
  expect({ code: run.code, stderr: run.code === code ? "" : run.stderr }).toEqual({ code, stderr: "" });
}
