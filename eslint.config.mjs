// One lint for the whole repository (npm run lint). Type-aware rules need the
// TypeScript project of each file: tsconfig.lint.json covers sources and tests.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import tseslint from 'typescript-eslint';

/** What workflow code may not import: it runs in Temporal's deterministic sandbox (samples-typescript, food-delivery's eslint config). */
const WORKFLOW_FORBIDDEN_IMPORTS = {
  patterns: [
    { group: ['node:*'], message: 'workflow code runs in a deterministic sandbox: no Node built-ins (use an activity)' },
    {
      group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker'],
      message: 'workflows import @temporalio/workflow (and types from the others) only',
    },
    {
      group: ['kysely', 'pg', 'pino', 'zod', '@nats-io/*', '@yuqing/http-kit', '@yuqing/intake', '@yuqing/dispatch', '@yuqing/reporting'],
      message: 'side effects belong in activities',
    },
  ],
  paths: [
    ...['fs', 'path', 'crypto', 'os', 'child_process', 'net', 'http', 'https', 'events', 'stream', 'util', 'worker_threads'].map((name) => ({
      name,
      message: 'workflow code runs in a deterministic sandbox: no Node built-ins (use an activity)',
    })),
    {
      name: '@yuqing/shared',
      message: 'import @yuqing/shared/domain in workflow code (the package root brings the database, NATS and the logger)',
      allowTypeImports: true,
    },
  ],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', '.tools/**', 'bench/results/**', 'infra/embedded-postgres/**', 'workflows/test/histories/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    // The console is checked by vue-tsc in its build (its own tsconfig, DOM types) and linted below.
    ignores: ['services/reporting/console/**'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { project: './tsconfig.lint.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Fastify, kysely and zod type their own any-shaped edges; these would flag the libraries, not our code.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      '@typescript-eslint/require-await': 'off',
      'no-console': 'error',
      // A variable assigned once after the closures that read it (the workflow's case) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['workflows/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', WORKFLOW_FORBIDDEN_IMPORTS],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'workflow code has no process: pass what it needs in its input' },
        { name: 'require', message: 'workflow code imports statically' },
        { name: 'setInterval', message: 'use sleep() or condition() with a timeout' },
      ],
    },
  },
  {
    // Tests, the bench and command-line tools may print.
    files: ['**/test/**/*.ts', 'test/src/**/*.ts', 'bench/src/**/*.ts', 'shared/src/bin/**/*.ts'],
    // Parsed answers in tests are read loosely: a wrong field fails the assertion anyway.
    rules: { 'no-console': 'off', '@typescript-eslint/unbound-method': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Migrations see the database as it was then, not today's types (kysely's advice).
    files: ['shared/src/db/migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // The console (Vue single-file components and TypeScript): Vue's recommended rules, TypeScript's syntax rules.
  ...pluginVue.configs['flat/recommended'].map((c) => ({ ...c, files: ['services/reporting/console/**/*.{ts,vue}'] })),
  ...tseslint.configs.recommended.map((c) => ({ ...c, files: ['services/reporting/console/**/*.{ts,vue}'] })),
  {
    files: ['services/reporting/console/**/*.{ts,vue}'],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
    rules: {
      'no-console': 'error',
      // Prettier lays out templates; these would fight it.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
    },
  },
  // typescript-eslint's configs set their parser for every file; .vue files need Vue's, with TypeScript's inside.
  { files: ['services/reporting/console/**/*.vue'], languageOptions: { parser: vueParser } },
  {
    files: ['**/*.mjs', '**/*.cjs', 'jest.config.js', 'bench/experiments/**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['bench/experiments/**/*.js', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { 'no-console': 'off' },
  },
  prettier,
);
