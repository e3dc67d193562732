/** Wire helpers shared by every collection and both transports. */
import { z } from "zod";

/** Ids are opaque: UUIDs in the docs, numeric strings (or numbers) in the wild. */
export const opaqueId = z.union([z.string().min(1), z.number()]).transform(String);

/** The schema URN of a SCIM PATCH request's body (RFC 7644 §3.5.2), for users and groups alike. */
export const SCIM_PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** A named object on the wire (a group, a travel policy): an opaque id and a name, "" when absent. */
export const wireNamed = z.object({
  id: opaqueId,
  name: z
    .string()
    .nullish()
    .transform((n) => n ?? ""),
});
