/**
 * The provider objects Pulumi serializes into state, one per resource kind.
 *
 * Each `entry/<kind>` module's exports *are* the provider object, so Pulumi stores it in state by
 * reference, as `require("pulumi-travelperk/entry/<kind>")`, a few hundred bytes. Each method only
 * requires the runtime by package name at call time: state holds no token and no code of ours, and
 * delete/refresh run the installed version of the package. (Were the package not installed under
 * node_modules, Pulumi would copy these small forwarding functions by value; they still work.)
 */
/* eslint-disable @typescript-eslint/no-require-imports -- requiring by name at call time is the design */
import type * as pulumi from "@pulumi/pulumi";

/** The resource kinds the runtime serves. */
export type ResourceKind = "user" | "groupMembership" | "groupMembers" | "policyAssignment";

type Provider = Required<pulumi.dynamic.ResourceProvider>;

/** What `pulumi-travelperk/runtime` exports. */
type Runtime = Record<ResourceKind, Provider> & Pick<Provider, "configure">;

/** A provider object whose every method forwards to `require("pulumi-travelperk/runtime")[kind]`. */
export function forwardTo(kind: ResourceKind): Provider {
  const runtime = () => require("pulumi-travelperk/runtime") as Runtime;
  return {
    configure: (req) => runtime().configure(req),
    check: (olds, news) => runtime()[kind].check(olds, news),
    diff: (id, olds, news) => runtime()[kind].diff(id, olds, news),
    create: (inputs) => runtime()[kind].create(inputs),
    read: (id, props) => runtime()[kind].read(id, props),
    update: (id, olds, news) => runtime()[kind].update(id, olds, news),
    delete: (id, props) => runtime()[kind].delete(id, props),
  };
}
