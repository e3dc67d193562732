/**
 * Stable entry point `pulumi-travelperk/entry/user`: the serialized provider of `User`.
 * State written by every release requires it by this name: never rename or move it.
 */
import { forwardTo } from "./forward";

export = forwardTo("user");
