/**
 * The inner loop (`npm run test:unit`): the suites that need neither the Pulumi CLI, nor the packed
 * package, nor a build, and time no real-time simulation, so no global setup. They still talk HTTP to
 * real local servers (the sandbox, scripted answers). The lists of the others live in
 * test/cli-suites.js, shared with the README's claim.
 */
const base = require("./jest.config");
const { NOT_UNIT_SUITES } = require("./test/cli-suites");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  globalSetup: undefined,
  // Every core: jest's default (one fewer) is a single worker on a 2-CPU machine, twice the wait.
  maxWorkers: "100%",
  // The examples import the package by name; without a build that name is the sources.
  moduleNameMapper: { "^pulumi-travelperk$": "<rootDir>/provider/index.ts" },
  testPathIgnorePatterns: ["/node_modules/", ...NOT_UNIT_SUITES.map((name) => `/test/${name}\\.test\\.ts$`)],
};
