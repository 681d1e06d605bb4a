// Loaded by load.js with Node's own loader, so this `require` is Node's, not Jest's.
module.exports = (id) => require(id);
