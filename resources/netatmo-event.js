/** The netatmo-event dialog, loaded by nodes/netatmo-event.html from resources/ (Node-RED serves it at resources/node-red-contrib-netatmo-tokens/). */
(function () {
  'use strict';
  RED.nodes.registerType('netatmo-event', {
    category: 'network',
    color: '#C0DEED',
    defaults: {
      name: { value: '' },
      account: { value: '', type: 'netatmo-account', required: true },
      filter: {
        value: '',
        validate: function (v) {
          return v === undefined || (String(v).length <= 2000 && /^[A-Za-z0-9_,\s.-]*$/.test(String(v)));
        },
      },
      allowUnsigned: { value: false },
    },
    inputs: 1,
    outputs: 1,
    icon: 'netatmo-event.svg',
    paletteLabel: function () {
      return this._('netatmo-event.label.palette');
    },
    label: function () {
      return this.name || this.filter || this._('netatmo-event.label.default');
    },
    labelStyle: function () {
      return this.name ? 'node_label_italic' : '';
    },
    inputLabels: function () {
      return this._('netatmo-event.label.input');
    },
    outputLabels: function () {
      return this._('netatmo-event.label.output');
    },
    oneditprepare: function () {
      function endpoint() {
        var root = (RED.settings.httpNodeRoot || '/').replace(/\/+$/, '');
        var id = $('#node-input-account').val() || '…';
        $('#netatmo-event-endpoint').text('POST ' + root + '/netatmo-tokens/webhook/' + id);
      }
      $('#node-input-account').on('change', endpoint);
      endpoint();
    },
  });
})();
