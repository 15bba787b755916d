import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.dev-userdir/**', 'test/artifacts/**', '.stryker-tmp/**', 'reports/**'] },
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strict],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-empty-function': 'off',
      // The house's limits (issue 24): a file a reader can hold, a function a reader can follow.
      'max-lines': ['error', { max: 450 }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Outside values must never reach i18next (a `$t(` in one freezes the runtime): translatorOf is the only way in.
    files: ['src/**/*.ts'],
    ignores: ['src/nodes/i18n.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='_']", message: 'Translate with translatorOf(RED) from src/nodes/i18n.ts.' },
      ],
    },
  },
  {
    // Node-RED constructors keep `this` as `node` for the closures they register.
    files: ['src/nodes/**/*.ts'],
    rules: { '@typescript-eslint/no-this-alias': 'off' },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.mocha } },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }] },
  },
  {
    files: ['nodes/**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // The editors' scripts, served by Node-RED from resources/: run in the browser beside jQuery and RED.
    files: ['resources/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, $: 'readonly', RED: 'readonly' } },
  },
);
