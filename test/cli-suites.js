/**
 * Which suites `npm run test:unit` (the inner loop, jest.unit.config.js) leaves to `npm test`: every
 * suite not listed here is a unit suite, needing neither the Pulumi CLI, nor a build, nor Python packages. The README's
 * "Tests" section names the same lists; test/docs.test.ts checks that they agree.
 */

/** The suites that need the real Pulumi CLI or the packed package (the global setup packs and installs it). */
module.exports.CLI_SUITES = [
  "e2e",
  "e2e-credentials",
  "e2e-rate-limits",
  "e2e-transports",
  "export-update",
  "fuzz",
  "group-members",
  "idp-coexistence",
  "login",
  "postgres-backend",
  "provider-host",
  "provider-host-credentials",
  "resilience",
  "roster-cli",
  "roster-groups",
  "roster-lifecycle",
  "roster-plan",
  "serialization",
  "upgrade",
];

/** The suites that need `npm run build`'s dist/ or build something themselves (npm pack, TypeDoc). */
module.exports.BUILD_SUITES = ["docs", "package", "sandbox-oauth"];

/** The suites that time real-time rate and pace simulations: seconds to tens of seconds each, sensitive to a busy machine. */
module.exports.TIMING_SUITES = ["pace-sim", "rate-limits", "scheduler"];

/** The suites that run the reference SCIM server: the Python packages of requirements-test.txt (`.ci/run` installs them). */
module.exports.PYTHON_SUITES = ["reference-scim", "reference-scim-server"];

/** Everything the inner loop leaves out. */
module.exports.NOT_UNIT_SUITES = [
  ...module.exports.CLI_SUITES,
  ...module.exports.BUILD_SUITES,
  ...module.exports.TIMING_SUITES,
  ...module.exports.PYTHON_SUITES,
];
