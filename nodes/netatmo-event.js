// Node-RED loads this file; the code is built from src/nodes/netatmo-event.ts into dist/.
module.exports = require('../dist/nodes/netatmo-event.js').default;
