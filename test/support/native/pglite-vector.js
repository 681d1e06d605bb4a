module.exports = require('./load')('@electric-sql/pglite/vector');
