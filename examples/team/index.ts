/**
 * The entry point the root `Pulumi.yaml` runs (`pulumi up` where the Node language host exists),
 * and what `npm run demo` runs through the Automation API.
 */
import { teamProgram } from "./program";
import { TEAM } from "./team";

export = teamProgram(TEAM);
