// Node-RED loads this file; the code is built from src/nodes/netatmo-token.ts into dist/.
module.exports = require('../dist/nodes/netatmo-token.js').default;
