// Type-aware lint for the whole tree (issue 18 item 4): every package's src, test and
// bench, the load-test fault suite, the scripts. Test and bench files are in no package
// tsconfig, so the parser reads tsconfig.lint.json, which covers all of them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  // create-tsgi's framework test imports the sample app it is scaffolded beside, so it is type-checked
  // (and run) in the project create-tsgi writes (create-tsgi/test/scaffold.test.ts), not here;
  // create-tsgi/sample-app is the packed copy of sample-app/ (git-ignored), linted there.
  { ignores: ['**/dist/**', '**/node_modules/**', '**/results/**', '**/coverage/**', '**/.tmp/**', '**/*.d.ts', 'create-tsgi/templates/framework/test/**', 'create-tsgi/sample-app/**', '**/.next/**'] },
  js.configs.recommended,
  {
    rules: {
      // A closure that reads a binding assigned later (a callback handed out before the
      // object it reports on exists) cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { project: './tsconfig.lint.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() promises are awaited by the runner itself.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // `_name` marks a parameter kept for the signature's shape; `{ a: _a, ...rest }` drops a key.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // k6 scripts run inside k6, not Node: __ENV/__VU/__ITER are k6's globals.
    files: ['load-tests/k6/**/*.js', 'create-tsgi/templates/*/k6/**/*.js'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly' } },
  },
);
