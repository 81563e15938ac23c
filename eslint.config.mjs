import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { importBoundaries } from './test/lint/import-boundaries.mjs';

// Type-aware: the rules worth having here are the ones that need types (a promise nobody awaits,
// a promise where a callback is expected). Layout is Prettier's job (.prettierrc.json), not ESLint's.
export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'data/', 'test/bench/results/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try skips the catch/finally the author wrote around it.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Unused parameters named `_x` keep a callback's or interface's shape.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read HTTP bodies and child-process output as untyped JSON on purpose; asserting on them
    // is the check, so the any-tracking rules would only ask for casts.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Tool scripts and configs are outside tsconfig.json: lint them without types, with Node's globals.
    files: ['**/*.mjs', '**/*.mts'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((name) => [name, 'readonly'])) },
  },
  importBoundaries,
);
