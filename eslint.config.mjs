// @ts-check
import eslint from "@eslint/js";
import prettier from "eslint-config-prettier/flat";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: ["dist/**", "coverage/**", ".demo/**", ".pulumi-state/**", ".sandbox/**", "docs/**"],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    // Sources, sandbox, scripts, examples and tests, with type information from tsconfig.json.
    files: ["**/*.ts"],
    extends: [eslint.configs.recommended, tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Counts and line numbers in messages are the common case; objects and undefined stay refused.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // `const { a: _a, ...rest } = x` is how a field is left out of an object.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    // Tests check a value with expect(...) first, then dereference it with `!`.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    // Plain JavaScript config files (jest.config.js is CommonJS, this file is ESM).
    files: ["**/*.js", "**/*.mjs"],
    extends: [eslint.configs.recommended],
  },
  {
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs" },
  },
  // Last: turns off the stylistic rules that Prettier owns.
  prettier,
);
