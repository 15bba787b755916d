// Node-RED loads this file; the code is built from src/nodes/netatmo-api.ts into dist/.
module.exports = require('../dist/nodes/netatmo-api.js').default;
