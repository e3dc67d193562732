/** The entry point `Pulumi.yaml` runs: travel policies and groups for the accounts the IdP owns. */
import { ASSIGNMENTS } from "./people";
import { idpProgram } from "./program";

export = idpProgram(ASSIGNMENTS);
