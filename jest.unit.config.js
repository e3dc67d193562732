/**
 * The inner loop (`npm run test:unit`): the suites that need neither the Pulumi CLI nor the packed
 * package, so no global setup. They still talk HTTP to real local servers (the sandbox, scripted
 * answers). The list of suites that need the CLI lives in test/cli-suites.js, shared with the README's claim.
 */
const base = require("./jest.config");
const { CLI_SUITES } = require("./test/cli-suites");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  globalSetup: undefined,
  testPathIgnorePatterns: ["/node_modules/", ...CLI_SUITES.map((name) => `/test/${name}\\.test\\.ts$`)],
};
