/**
 * The reference SCIM server's lifecycle for a suite: started before its tests (failing, not skipping,
 * when the Python package is missing), stopped after them. Shared by the smoke test of the server and
 * the SCIM transport's tests against it, so both start it the same way.
 */
import { startReferenceScim, type ReferenceScim, type StartReferenceScimOptions } from "./reference-scim";

/** Registers the suite's beforeAll/afterAll; the function returned gives the running server. */
export function useReferenceScim(options: StartReferenceScimOptions = {}): () => ReferenceScim {
  let scim: ReferenceScim | undefined;
  beforeAll(async () => {
    scim = await startReferenceScim(options);
  }, 60_000);
  afterAll(async () => {
    await scim?.stop();
  });
  return () => {
    if (!scim) throw new Error("reference SCIM server not started");
    return scim;
  };
}
