// Jest runs tests in a vm context without dynamic import(), which PGlite uses to load its
// WebAssembly and data files. jest.config.js maps PGlite to the files here, which load it with
// Node's own module loader (Jest replaces `require` and `createRequire`, not Module._load). knex
// goes the same way: the Dates it hands PGlite must be `instanceof Date` in PGlite's context.
const Module = require('node:module');

module.exports = Module._load(require.resolve('./node-require.js'), null, false);
