/** Wire helpers shared by every collection and both transports. */
import { z } from "zod";

/** Ids are opaque: UUIDs in the docs, numeric strings (or numbers) in the wild. */
export const opaqueId = z.union([z.string().min(1), z.number()]).transform(String);

/** A named object on the wire (a group, a travel policy): an opaque id and a name, "" when absent. */
export const wireNamed = z.object({
  id: opaqueId,
  name: z
    .string()
    .nullish()
    .transform((n) => n ?? ""),
});
