/** Serializes a provider object exactly as `new dynamic.Resource(...)` does, from the installed package. */
type Serialize = (f: () => unknown, opts?: { allowSecrets?: boolean }) => Promise<{ text: string }>;

/** The `__provider` text of one resource kind, as the program in `programDir` would store it. */
export async function serializedProvider(
  programDir: string,
  entry: "user" | "group-membership" | "group-members" | "policy-assignment",
): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program folder's installed copy, by name
  const load = (m: string) => require(require.resolve(m, { paths: [programDir] })) as unknown;
  const pulumi = load("@pulumi/pulumi") as { runtime: { serializeFunction: Serialize } };
  const provider = load(`pulumi-travelperk/entry/${entry}`);
  return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}
