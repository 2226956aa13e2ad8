// ESLint flat config: typescript-eslint, no default exports (cycles: madge in `npm run lint`), and the
// core boundary (src/core runs in browsers and workers, so no Node built-ins, no fs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'scratch/',
      'tmp-smoke/',
      'models/',
      'test-output/',
      'web/dist/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { import: importPlugin },
    rules: {
      'import/no-default-export': 'error',
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    languageOptions: { globals: { ...globals['shared-node-browser'] } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'src/core must not use Node built-ins.' },
            {
              group: [
                'fs',
                'fs/*',
                'path',
                'os',
                'http',
                'https',
                'child_process',
                'worker_threads',
                'url',
              ],
              message: 'src/core must not use Node built-ins.',
            },
            {
              group: ['sharp', 'commander', 'cli-progress'],
              message: 'src/core must stay platform-free.',
            },
            {
              group: ['**/node/**', '**/cli/**', '**/server/**'],
              message: 'src/core must not import Node-side code.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'document', 'window', 'process', 'Buffer'],
    },
  },
  {
    // The workbench runs in the browser (page and Web Worker), never in Node.
    files: ['web/src/**/*.ts'],
    ignores: ['web/src/**/*.test.ts'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'the workbench runs in a browser.' },
            {
              group: ['**/src/node/**', '**/src/cli/**', '**/src/server/**'],
              message: 'the workbench may only use src/core.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['*.config.js', '*.config.ts', 'eslint.config.js'],
    rules: { 'import/no-default-export': 'off' },
  },
);
