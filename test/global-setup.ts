/** Installs the packed package once per test run; tests find it through TP_TEST_PROGRAM. */
import { installPackedPackage } from "./helpers/packed";

export default function globalSetup(): void {
  process.env.TP_TEST_PROGRAM = installPackedPackage();
}
