// ESLint's and typescript-eslint's recommended rules over the program, the library, the policy pack and the tests.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/", "bin/", "coverage/", ".state/", "tools/", "policy/bin/"] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // Destructuring a field away to pass on the rest is how the components split their args.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
      // The SDK keeps its config-secret lookup in an untyped internal module.
      "@typescript-eslint/no-require-imports": ["error", { allow: ["^@pulumi/pulumi/runtime/config$"] }],
    },
  },
  {
    // Tests read raw, untyped config and load modules late (after mocks, per isolated module registry).
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // CommonJS scripts run by node directly.
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly", __dirname: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
