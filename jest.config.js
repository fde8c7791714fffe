/** Unit tests run with Pulumi mocks; the real CLI tests live in test/cli and run under their own project. */
const transform = { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] };
module.exports = {
  projects: [
    { displayName: "unit", testEnvironment: "node", transform, testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { displayName: "cli", testEnvironment: "node", transform, testMatch: ["<rootDir>/test/cli/**/*.test.ts"] },
  ],
};
