/**
 * Stable entry point `pulumi-travelperk/entry/policy-assignment`: the serialized provider of `PolicyAssignment`.
 * State written by every release requires it by this name: never rename or move it.
 */
import { forwardTo } from "./forward";

export = forwardTo("policyAssignment");
