import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', '.gpu/', 'bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // Time limits go through common/src/deadline.ts: on Node 20 a timeout combined with AbortSignal.any() is
      // held weakly and may never fire after a garbage collection.
      'no-restricted-syntax': ['error', {
        selector: "MemberExpression[object.name='AbortSignal'][property.name=/^(timeout|any)$/]",
        message: 'Use Deadline, anySignal or withDeadline from common/src/deadline.ts: AbortSignal.timeout/any may never fire after a GC on Node 20.',
      }],
    },
  },
  {
    files: ['common/src/deadline.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' } },
  },
);
