/**
 * Stable entry point `pulumi-travelperk/entry/group-members`: the serialized provider of `GroupMembers`.
 * State written by every release requires it by this name: never rename or move it.
 */
import { forwardTo } from "./forward";

export = forwardTo("groupMembers");
