module.exports = require('./load')('knex-pglite');
