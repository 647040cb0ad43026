import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'recipes/ray/.venv/**',
      '.venv/**',
      '.models/**',
      'dist/**',
      'out/**',
      '.e2e/**',
      '.cache/**',
      'test-results/**',
      'models/**',
      'tools/**',
      '**/*.tmp.*',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    // Tool config files must default-export; build scripts run on Node.
    files: ['*.config.{mjs,ts}', 'scripts/**/*.mjs', 'bin/**/*.js'],
    languageOptions: { globals: globals.node },
    rules: { 'no-restricted-syntax': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The core is shared by the CLI, the tests and the extension: it never sees VS Code or a DOM.
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core must not import vscode.' }],
          patterns: ['**/extension/**', '**/webview/**'],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator'],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The webview is a browser bundle.' }],
          patterns: ['**/core/**', '**/extension/**'],
        },
      ],
    },
  },
);
