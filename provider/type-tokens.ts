/**
 * The type tokens of this package's resources, declared once. They are a public contract: a token
 * is part of every URN, and changing one makes Pulumi delete and create the resource.
 */

/** The module of the dynamic resources: their tokens read `pulumi-nodejs:dynamic/travelperk:<Kind>`. */
export const DYNAMIC_MODULE = "travelperk";

/** The kinds of the dynamic resources, as the last part of their type token. */
export const RESOURCE_KINDS = {
  user: "User",
  groupMembership: "GroupMembership",
  groupMembers: "GroupMembers",
  policyAssignment: "PolicyAssignment",
} as const;

/** A dynamic resource's kind: `User`, `GroupMembership`, `GroupMembers` or `PolicyAssignment`. */
export type ResourceKind = (typeof RESOURCE_KINDS)[keyof typeof RESOURCE_KINDS];

/** The short label of a kind, `travelperk:<Kind>`, as errors and summaries name it. */
export function resourceLabel(kind: ResourceKind): `travelperk:${ResourceKind}` {
  return `${DYNAMIC_MODULE}:${kind}`;
}

/** The full type token Pulumi records for a kind: `pulumi-nodejs:dynamic/travelperk:<Kind>`. */
function dynamicTypeToken(kind: ResourceKind): string {
  return `pulumi-nodejs:dynamic/${resourceLabel(kind)}`;
}

/** Whether a recorded type token is that of `kind` (a dynamic token, or the short label). */
export function isResourceType(type: string, kind: ResourceKind): boolean {
  return type === dynamicTypeToken(kind) || type === resourceLabel(kind);
}

/** The roster component's type token. */
export const ROSTER_TYPE = "travelperk:index:Roster";
