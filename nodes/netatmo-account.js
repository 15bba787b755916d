// Node-RED loads this file; the code is built from src/nodes/netatmo-account.ts into dist/.
module.exports = require('../dist/nodes/netatmo-account.js').default;
