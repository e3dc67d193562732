/**
 * Once per test run: installs the packed package into a program folder (TP_TEST_PROGRAM) and makes
 * the real Pulumi CLI available (PULUMI_CLI_ROOT), building it from its Go module on a cold machine.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { installPackedPackage } from "../scripts/pack-install";

export default function globalSetup(): void {
  process.env.TP_TEST_PROGRAM = installPackedPackage();
  if (!process.env.PULUMI_CLI_ROOT) {
    const script = path.resolve(__dirname, "../scripts/ensure-pulumi.sh");
    process.env.PULUMI_CLI_ROOT = execFileSync("bash", [script], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
  }
}
