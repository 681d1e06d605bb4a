module.exports = require('./load')('knex');
