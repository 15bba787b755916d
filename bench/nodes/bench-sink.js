'use strict';
/**
 * The bench's message sink: counts nothing itself, it hands every message to the
 * function the bench puts in `node.onMessage`, then calls done(). The same sink sits
 * behind every path the bench compares, so it costs both sides the same.
 */
module.exports = function (RED) {
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.onMessage = null;
    this.on('input', (msg, send, done) => {
      const f = this.onMessage;
      if (f) f(msg);
      done();
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
