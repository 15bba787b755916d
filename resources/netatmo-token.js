/** The netatmo-token dialog, loaded by nodes/netatmo-token.html from resources/ (Node-RED serves it at resources/node-red-contrib-netatmo-tokens/). */
(function () {
  'use strict';

  function isInterval(v) {
    var s = String(v === undefined || v === null ? '' : v).trim();
    return /^\d+$/.test(s) && Number(s) <= 2147483;
  }

  function isMaxWait(v) {
    var s = String(v === undefined || v === null ? '' : v).trim();
    return s === '' || (/^\d+(\.\d+)?$/.test(s) && Number(s) <= 3600);
  }

  RED.nodes.registerType('netatmo-token', {
    category: 'network',
    color: '#C0DEED',
    defaults: {
      name: { value: '' },
      account: { value: '', type: 'netatmo-account', required: true },
      interval: { value: 0, required: true, validate: isInterval },
      maxWait: { value: 30, validate: isMaxWait },
    },
    inputs: 1,
    outputs: 1,
    icon: 'netatmo-token.svg',
    paletteLabel: function () {
      return this._('netatmo-token.label.palette');
    },
    label: function () {
      return this.name || this._('netatmo-token.label.default');
    },
    labelStyle: function () {
      return this.name ? 'node_label_italic' : '';
    },
    inputLabels: function () {
      return this._('netatmo-token.label.input');
    },
    outputLabels: function () {
      return this._('netatmo-token.label.output');
    },
    oneditprepare: function () {
      $('#node-input-interval').spinner({ min: 0, step: 60 });
      $('#node-input-maxWait').spinner({ min: 0, max: 3600, step: 5 });
    },
    oneditsave: function () {
      var $interval = $('#node-input-interval');
      var v = String($interval.val()).trim();
      if (/^\d+$/.test(v)) {
        $interval.val(String(Number(v)));
      }
    },
  });
})();
