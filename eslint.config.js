const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.leadflow/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine's exactly-once guarantees rest on await order: a promise nobody awaits, or one
    // handed where a plain callback is expected, is a bug unless marked `void` on purpose.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  ...layering(),
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
  },
);

/**
 * The folders from the bottom up: each may import the folders listed for it and nothing above it,
 * so the flow reads one way (schemas and the engine at the bottom, stages above them, the edges to
 * the outside above those, the wiring in app/, the commands on top). Tests may import anything;
 * nothing else imports test/.
 */
function layering() {
  const base = ['schemas', 'config', 'models'];
  const allowed = {
    schemas: [],
    config: ['schemas'],
    models: ['schemas'],
    runtime: ['schemas'],
    topics: ['schemas', 'runtime'],
    processors: ['schemas', 'models', 'runtime', 'topics'],
    connectors: [...base, 'runtime', 'topics'],
    sinks: [...base, 'runtime', 'topics', 'processors', 'connectors'],
    ingress: [...base, 'runtime', 'topics', 'processors', 'connectors', 'sinks'],
    app: [...base, 'runtime', 'topics', 'processors', 'connectors', 'sinks', 'ingress'],
  };
  const all = [...Object.keys(allowed), 'tools', 'bench', 'cli', 'test'];
  // The commands and tools stand on everything but the tests.
  for (const top of ['tools', 'bench', 'cli']) allowed[top] = all.filter((f) => f !== 'test' && f !== top);
  return Object.entries(allowed).map(([folder, imports]) => ({
    files: [`${folder}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: all
            .filter((other) => other !== folder && !imports.includes(other))
            .map((other) => ({
              // Relative imports only climb to the top folder: `../../sinks/...`, never `./sinks`.
              regex: `^(\\.\\./)+${other}(/|$)`,
              message: `${folder}/ may import only ${[folder, ...imports].join(', ')} (see layering() in eslint.config.js)`,
            })),
        },
      ],
    },
  }));
}
