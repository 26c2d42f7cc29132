// ESLint (flat config): typescript-eslint's recommended rules, without type information (fast
// enough to run on every `npm test`), plus one local rule: imports come before any code.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** Every import declaration sits before the module's first statement of code. */
const importsFirst = {
  meta: {type: 'suggestion', docs: {description: 'imports before code'}, schema: []},
  create(context) {
    return {
      Program(program) {
        let codeSeen = false
        for (const statement of program.body) {
          if (statement.type === 'ImportDeclaration') {
            if (codeSeen) context.report({node: statement, message: 'Import after code: move it up with the other imports.'})
          } else codeSeen = true
        }
      },
    }
  },
}

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: {local: {rules: {'imports-first': importsFirst}}},
    rules: {
      'local/imports-first': 'error',
      // TypeScript checks names; the scripts (.mjs) run on Node, whose globals ESLint does not know.
      'no-undef': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
    },
  },
)
