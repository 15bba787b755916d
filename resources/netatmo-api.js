/** The netatmo-api dialog, loaded by nodes/netatmo-api.html from resources/ (Node-RED serves it at resources/node-red-contrib-netatmo-tokens/). */
(function () {
  'use strict';

  var GROUPS = ['homes', 'energy', 'weather', 'aircare', 'security'];
  var MSG = '';
  var CUSTOM = '__custom__';

  function isParams(v) {
    if (v === undefined || v === null || String(v).trim() === '') return true;
    try {
      var o = JSON.parse(v);
      return o !== null && typeof o === 'object' && !Array.isArray(o);
    } catch (e) {
      return false;
    }
  }
  function isEndpoint(v) {
    return v === '' || /^[a-z]{3,40}$/.test(v) || /^\/api\/[A-Za-z0-9_-]{1,64}(\/[A-Za-z0-9_-]{1,64}){0,3}$/.test(v);
  }
  /** The only account when there is exactly one; none when there are several (the user picks). */
  function onlyAccount() {
    var ids = [];
    RED.nodes.eachConfig(function (n) {
      if (n.type === 'netatmo-account') ids.push(n.id);
    });
    return ids.length === 1 ? ids[0] : null;
  }
  function isMaxWait(v) {
    var s = String(v === undefined || v === null ? '' : v).trim();
    return /^\d+(\.\d+)?$/.test(s) && Number(s) <= 3600;
  }

  /**
   * The pickers: ids and names of the account's devices, modules, homes and rooms (GET netatmo-api/<account>/ids,
   * cached a few minutes by the runtime), and the types and scales Netatmo accepts, written into the parameters.
   */
  var ID_KEYS = ['device_id', 'module_id', 'home_id', 'room_id'];
  var PICK_KIND = {
    getmeasure: 'modules',
    getroommeasure: 'rooms',
    setroomthermpoint: 'rooms',
    homestatus: 'homes',
    homesdata: 'homes',
    getevents: 'homes',
    setthermmode: 'homes',
    switchhomeschedule: 'homes',
    getstationsdata: 'stations',
    gethomecoachsdata: 'coaches',
  };
  function pickTargets(kind, ids) {
    var out = [];
    if (kind === 'modules' || kind === 'stations') {
      (ids.stations || []).forEach(function (st) {
        if (kind === 'stations') return out.push({ text: st.name, params: { device_id: st.id } });
        st.modules.forEach(function (m) {
          var p = m.id === st.id ? { device_id: st.id } : { device_id: st.id, module_id: m.id };
          out.push({ text: st.name + ' › ' + m.name + (m.type ? ' (' + m.type + ')' : ''), params: p, type: m.type });
        });
      });
    }
    if (kind === 'modules' || kind === 'coaches') {
      (ids.coaches || []).forEach(function (c) {
        out.push({ text: c.name + (c.type ? ' (' + c.type + ')' : ''), params: { device_id: c.id }, type: c.type || 'NHC' });
      });
    }
    (ids.homes || []).forEach(function (h) {
      if (kind === 'homes') out.push({ text: h.name, params: { home_id: h.id } });
      if (kind === 'rooms')
        h.rooms.forEach(function (r) {
          out.push({ text: h.name + ' › ' + r.name, params: { home_id: h.id, room_id: r.id }, type: 'room' });
        });
    });
    return out;
  }
  function readParams() {
    try {
      var o = JSON.parse($('#node-input-params').typedInput('value') || '{}');
      return o && typeof o === 'object' && !Array.isArray(o) ? o : {};
    } catch (e) {
      return null;
    }
  }
  function writeParams(o) {
    $('#node-input-params').typedInput('value', Object.keys(o).length ? JSON.stringify(o) : '');
  }
  /** The pickers' state in one dialog: `st.node`, `st.endpointOf()`, the listing and the targets shown. */
  function pickNote(st, key) {
    $('#netatmo-api-pick-note')
      .toggle(!!key)
      .text(key ? st.node._('netatmo-api.editor.' + key) : '');
  }
  function pickHistory(st) {
    var e = st.endpointOf();
    return e === 'getmeasure' || e === 'getroommeasure';
  }
  /** The types the picked device records (ticked when in `type`), the scales of the endpoint, `last`. */
  function pickShowTypes(st) {
    var t = st.targets[$('#netatmo-api-pick-target').val()];
    var p = readParams() || {};
    var chosen = String(p.type || '')
      .split(',')
      .map(function (x) {
        return x.trim().toLowerCase();
      });
    var $types = $('#netatmo-api-pick-types').empty();
    var types = (t && st.listing && st.listing.types[t.type]) || [];
    types.forEach(function (ty) {
      $('<label style="display: inline-block; width: auto; margin-right: 10px;">')
        .append(
          $('<input type="checkbox" style="width: auto; margin: 0 4px 0 0;">')
            .val(ty)
            .prop('checked', chosen.indexOf(ty) >= 0),
        )
        .append(document.createTextNode(ty))
        .appendTo($types);
    });
    $('#netatmo-api-pick-types-row').toggle(pickHistory(st) && types.length > 0);
    var $scale = $('#netatmo-api-pick-scale').empty();
    $('<option>').val('').text('').appendTo($scale);
    ((st.listing && st.listing.scales[st.endpointOf()]) || []).forEach(function (sc) {
      $('<option>').val(sc).text(sc).appendTo($scale);
    });
    $scale.val(p.scale || '');
    $('#netatmo-api-pick-last').val(p.last || '');
    $('#netatmo-api-pick-history-row').toggle(pickHistory(st));
  }
  /** The devices, modules, homes or rooms the endpoint takes; the one the parameters name is selected. */
  function pickFillTargets(st) {
    var $target = $('#netatmo-api-pick-target');
    st.targets = pickTargets(PICK_KIND[st.endpointOf()], st.listing);
    $target.empty();
    $('<option>').val('').text(st.node._('netatmo-api.editor.pick-none')).appendTo($target);
    var p = readParams() || {};
    var selected = '';
    st.targets.forEach(function (t, i) {
      $('<option>').val(String(i)).text(t.text).appendTo($target);
      var same = ID_KEYS.every(function (k) {
        return (t.params[k] || '') === (p[k] || '');
      });
      if (same) selected = String(i);
    });
    $target.val(selected);
    pickNote(st, st.targets.length ? '' : 'pick-empty');
    pickShowTypes(st);
  }
  /** Shows the pickers the endpoint needs, asking the runtime for the account's listing once per account. */
  function pickRefresh(st) {
    var kind = PICK_KIND[st.endpointOf()];
    var account = $('#node-input-account').val();
    $('#netatmo-api-pickers').toggle(!!kind);
    if (!kind) return;
    if (!account || account === '_ADD_') return pickNote(st, 'pick-no-account');
    if (st.listing && st.loadedFor === account) return pickFillTargets(st);
    pickNote(st, 'pick-loading');
    $('#netatmo-api-pick-target').empty();
    st.loadedFor = account;
    window.netatmoTokensEditor
      .request('GET', 'netatmo-api/' + encodeURIComponent(account) + '/ids')
      .done(function (data) {
        if (st.loadedFor !== account) return;
        st.listing = data;
        pickFillTargets(st);
      })
      .fail(function (xhr) {
        if (st.loadedFor !== account) return;
        st.listing = null;
        st.loadedFor = null;
        pickNote(st, xhr && xhr.status === 404 ? 'pick-not-deployed' : 'pick-failed');
      });
  }
  /** What is picked goes into the parameters (which stay editable). */
  function pickBind(st) {
    $('#netatmo-api-pick-target').on('change', function () {
      var t = st.targets[$(this).val()];
      var p = readParams();
      if (p === null) return;
      ID_KEYS.forEach(function (k) {
        delete p[k];
      });
      if (t)
        Object.keys(t.params).forEach(function (k) {
          p[k] = t.params[k];
        });
      writeParams(p);
      pickShowTypes(st);
    });
    $('#netatmo-api-pick-types').on('change', 'input', function () {
      var p = readParams();
      if (p === null) return;
      var list = $('#netatmo-api-pick-types input:checked')
        .map(function () {
          return this.value;
        })
        .get();
      if (list.length) p.type = list.join(',');
      else delete p.type;
      writeParams(p);
    });
    $('#netatmo-api-pick-scale, #netatmo-api-pick-last').on('change', function () {
      var p = readParams();
      if (p === null) return;
      var key = this.id === 'netatmo-api-pick-scale' ? 'scale' : 'last';
      if ($(this).val()) p[key] = $(this).val();
      else delete p[key];
      writeParams(p);
    });
  }
  function setupPickers(node, endpointOf) {
    var st = { node: node, endpointOf: endpointOf, listing: null, loadedFor: null, targets: [] };
    pickBind(st);
    return function () {
      pickRefresh(st);
    };
  }

  function option(value, text) {
    return $('<option>').val(value).text(text);
  }
  function accountScopes() {
    var acc = RED.nodes.node($('#node-input-account').val());
    return acc && acc.scope
      ? String(acc.scope)
          .split(/[\s,]+/)
          .filter(Boolean)
      : null;
  }
  /** The catalogue's English text when this language has none (an endpoint added on the server). */
  function translated(node, key, fallback) {
    var v = node._('netatmo-api.' + key);
    return v && v.indexOf('netatmo-api.') === -1 ? v : fallback;
  }
  /** What the chosen endpoint sends, needs and which scope it wants, warned when the account lacks it. */
  function showEndpoint(node, e, $info, granted) {
    $('<div>')
      .text(translated(node, 'purpose.' + e.name, e.purpose))
      .appendTo($info);
    $('<div>')
      .append($('<b>').text(node._('netatmo-api.editor.sent') + ' '))
      .append($('<code>').text(e.method + ' /api/' + e.name))
      .append(document.createTextNode(' (' + translated(node, 'encoding.' + e.encoding, e.encoding) + ')'))
      .appendTo($info);
    $('<div>')
      .append($('<b>').text(node._('netatmo-api.editor.required') + ' '))
      .append($('<code>').text(e.required.length ? e.required.join(', ') : '—'))
      .appendTo($info);
    if (e.optional.length) {
      $('<div>')
        .append($('<b>').text(node._('netatmo-api.editor.optional') + ' '))
        .append($('<code>').text(e.optional.join(', ')))
        .appendTo($info);
    }
    $('<div>')
      .append($('<b>').text(node._('netatmo-api.editor.scopes') + ' '))
      .append($('<code>').text(e.scopes.join(' | ')))
      .appendTo($info);
    if (
      granted &&
      !e.scopes.some(function (s) {
        return granted.indexOf(s) >= 0;
      })
    ) {
      $('<div class="netatmo-api-warn">')
        .append($('<i class="fa fa-exclamation-triangle">'))
        .append(document.createTextNode(' ' + node._('netatmo-api.editor.scope-missing', { scopes: e.scopes.join(', ') })))
        .appendTo($info);
    }
  }

  RED.nodes.registerType('netatmo-api', {
    category: 'network',
    color: '#C0DEED',
    defaults: {
      name: { value: '' },
      account: { value: '', type: 'netatmo-account', required: true },
      endpoint: { value: 'homesdata', validate: isEndpoint },
      method: { value: 'auto' },
      params: { value: '', validate: isParams },
      maxWait: { value: 30, required: true, validate: isMaxWait },
      partialAsError: { value: false },
      output: { value: 'answer' },
      onlyChanged: { value: false },
    },
    inputs: 1,
    outputs: 1,
    icon: 'netatmo-api.svg',
    paletteLabel: function () {
      return this._('netatmo-api.label.palette');
    },
    label: function () {
      return this.name || this.endpoint || this._('netatmo-api.label.default');
    },
    labelStyle: function () {
      return this.name ? 'node_label_italic' : '';
    },
    inputLabels: function () {
      return this._('netatmo-api.label.input');
    },
    outputLabels: function () {
      return this._('netatmo-api.label.output');
    },
    onadd: function () {
      // Dropped from the palette: with exactly one account there is nothing to choose.
      if (!this.account) this.account = onlyAccount() || '';
    },
    oneditprepare: function () {
      var node = this;
      if (!node.account && onlyAccount()) {
        // One account (a node imported without one): take it. Several: Node-RED shows "none", the user picks.
        $('#node-input-account').val(onlyAccount());
      }
      var catalogue = {};
      var $pick = $('#netatmo-api-pick');
      var $path = $('#netatmo-api-path');
      var $info = $('#netatmo-api-info');
      $('#node-input-maxWait').spinner({ min: 0, max: 3600, step: 5 });
      $('#node-input-params').typedInput({ types: ['json'] });

      function current() {
        var v = $pick.val();
        return v === CUSTOM ? String($path.val()).trim() : v;
      }
      function describe() {
        var v = $pick.val();
        $('#netatmo-api-path-row').toggle(v === CUSTOM);
        $info.empty();
        if (v === MSG) return $info.text(node._('netatmo-api.editor.from-msg'));
        if (v === CUSTOM) return $info.text(node._('netatmo-api.editor.custom'));
        var e = catalogue[v];
        if (!e) return $info.hide();
        showEndpoint(node, e, $info.show(), accountScopes());
      }
      function fill(list) {
        $pick.empty();
        option(MSG, node._('netatmo-api.editor.pick-msg')).appendTo($pick);
        GROUPS.forEach(function (g) {
          var $g = $('<optgroup>').attr('label', node._('netatmo-api.groups.' + g));
          list
            .filter(function (e) {
              return e.group === g;
            })
            .forEach(function (e) {
              catalogue[e.name] = e;
              option(e.name, e.name + ' (' + e.method + ')').appendTo($g);
            });
          if ($g.children().length) $g.appendTo($pick);
        });
        option(CUSTOM, node._('netatmo-api.editor.pick-custom')).appendTo($pick);
        var v = node.endpoint || '';
        if (v === '' || catalogue[v]) {
          $pick.val(v);
        } else {
          $pick.val(CUSTOM);
          $path.val(v);
        }
        describe();
      }
      if (!$('#node-input-output').val()) $('#node-input-output').val('answer'); // a node from before the option
      $('#node-input-output')
        .on('change', function () {
          $('#netatmo-api-only-changed-row').toggle($(this).val() === 'readings');
        })
        .trigger('change');
      var refreshPickers = setupPickers(node, current);
      $pick.on('change', describe);
      $pick.on('change', refreshPickers);
      $('#node-input-account').on('change', describe);
      $('#node-input-account').on('change', refreshPickers);
      $path.on('change keyup', function () {
        $('#node-input-endpoint').val(current());
      });
      window.netatmoTokensEditor
        .request('GET', 'netatmo-api/endpoints')
        .done(function (data) {
          fill((data && data.endpoints) || []);
          refreshPickers();
        })
        .fail(function () {
          fill([]);
          $info.show().text(node._('netatmo-api.editor.catalogue-failed'));
        });
    },
    oneditsave: function () {
      var v = $('#netatmo-api-pick').val();
      if (v !== null && v !== undefined) {
        $('#node-input-endpoint').val(v === '__custom__' ? String($('#netatmo-api-path').val()).trim() : v);
      }
      var $w = $('#node-input-maxWait');
      var w = String($w.val()).trim();
      if (isMaxWait(w)) $w.val(String(Number(w)));
    },
  });
})();
