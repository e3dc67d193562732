/**
 * Stable entry point `pulumi-travelperk/entry/group-membership`: the serialized provider of `GroupMembership`.
 * State written by every release requires it by this name: never rename or move it.
 */
import { forwardTo } from "./forward";

export = forwardTo("groupMembership");
