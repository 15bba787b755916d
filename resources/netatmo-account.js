/**
 * The netatmo-account dialog. Node-RED serves this package's resources/ folder at
 * resources/node-red-contrib-netatmo-tokens/, and nodes/netatmo-account.html loads this file from there
 * before its template. Named parts: the requests, the folding toggle, the webhook, the scopes, the
 * status poll, Authorize and the paste box; oneditprepare only wires them together.
 */
(function () {
  'use strict';

  var N = (window.netatmoTokensEditor = window.netatmoTokensEditor || {});
  // Node-RED loads these files in any order before the HTML: parts from the others are taken from N when called.

  var SCOPE_RE = /^[a-z][a-z0-9_]{1,63}$/;
  var SAVED_PASSWORD = '__PWRD__';
  /** What to register when Netatmo cannot send the browser back to Node-RED: a page the browser fails to open. */
  var PASTE_REDIRECT = 'http://localhost/';

  function isHttpUrl(v) {
    return /^https?:\/\/[^\s/]+\S*$/i.test(String(v));
  }

  /** This editor's base address, as the browser sees it: scheme, host, port and any prefix a proxy added. */
  function editorBase() {
    var root = (RED.settings && RED.settings.apiRootUrl) || '';
    return new URL(root, document.baseURI || window.location.href);
  }

  /** Where Netatmo sends the browser back on a plain install, behind a proxy or under httpAdminRoot. */
  function callbackUrl() {
    return new URL('netatmo-tokens/callback/', editorBase()).href;
  }

  /**
   * Home Assistant's ingress (https://<ha>/api/hassio_ingress/<token>/) lets a request in only with its
   * SameSite=Strict login cookie, which a browser does not send on the redirect back from Netatmo.
   */
  function underIngress() {
    return /\/api\/hassio_ingress\/[^/]+\//.test(editorBase().pathname);
  }

  // ---- webhooks (netatmo-event): the URL Netatmo posts to, Netatmo's ports, the path it must reach.
  var WEBHOOK_PORTS = ['80', '88', '443', '9443'];
  /** Why a Webhook URL cannot be registered ('' when it can, or when it is empty). */
  function webhookProblem(v) {
    var text = String(v || '').trim();
    if (!text) return '';
    if (text.length > 512 || !isHttpUrl(text)) return 'webhook-url';
    var url;
    try {
      url = new URL(text);
    } catch (e) {
      return 'webhook-url';
    }
    if (url.username || url.password) return 'webhook-url';
    var port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return WEBHOOK_PORTS.indexOf(port) >= 0 ? '' : 'webhook-port';
  }
  function webhookPart(node, t) {
    var $url = $('#node-config-input-webhookUrl');
    var $problem = $('#netatmo-account-webhook-problem');
    var root = String(RED.settings.httpNodeRoot || '/').replace(/\/+$/, '');
    var path = root + '/netatmo-tokens/webhook/' + node.id;
    function endpoint() {
      var typed = String($url.val() || '').trim();
      var base = 'https://…';
      try {
        if (typed) base = new URL(typed).origin;
      } catch (e) {
        /* shown as a problem below */
      }
      return base + path;
    }
    function check() {
      var why = webhookProblem($url.val());
      $problem.toggle(!!why).text(why ? t('errors.INVALID_INPUT-' + why) : '');
      $('#netatmo-account-webhook-endpoint').text(endpoint());
    }
    $url.on('change keyup input', check);
    $('#netatmo-account-webhook-copy').on('click', function () {
      RED.clipboard.copyText(endpoint(), $(this), t('editor.copied'));
    });
    check();
    N.request('GET', N.accountPath(node.id, 'status')).done(function (data) {
      var w = data && data.webhook;
      if (!w || w.status === 'off') return;
      var text = t('editor.webhook.' + w.status, {
        code: w.error
          ? [w.error.code, w.error.api_code]
              .filter(function (c) {
                return c !== null && c !== undefined;
              })
              .join(' ')
          : '',
      });
      if (w.quiet) text += ' ' + t('editor.webhook.quiet');
      $('#netatmo-account-webhook-state').text(text);
    });
  }

  // ---- step 1: the app at dev.netatmo.com and its redirect URI

  function redirectPart(d) {
    $('#netatmo-account-callback-url').text(d.callback).attr('title', d.callback);
    d.$redirect.attr('placeholder', d.t('editor.redirect-placeholder'));
    $('#netatmo-account-copy').on('click', function () {
      RED.clipboard.copyText(d.callback, $(this), d.t('editor.copied'));
    });
    if (d.ingress) {
      // The callback cannot come back through Home Assistant: the paste path is the main one.
      $('#netatmo-account-ingress').show();
      $('#netatmo-account-callback-tip').hide();
      $('#netatmo-account-callback-tip-ingress').show();
    }
  }

  // ---- step 2: scopes, the text field and the checkboxes kept in sync both ways;
  // groups folded to the ones with a ticked scope (one tab stop per folded group).

  /** A scope group's label or hint in the editor's language, else the runtime's English. */
  function groupText(node, group, key, fallback) {
    var k = 'netatmo-account.scopes.' + group.id + (key ? '-' + key : '');
    var v = node._(k);
    return v && v !== k && v.indexOf('netatmo-account.scopes.') === -1 ? v : fallback;
  }

  function scopesPart(d) {
    var $scope = d.$scope;
    var $groups = $('#netatmo-account-groups');
    var boxes = {};
    var groupParts = [];
    function syncBoxes() {
      var chosen = N.splitScopes($scope.val());
      Object.keys(boxes).forEach(function (s) {
        boxes[s].prop('checked', chosen.indexOf(s) !== -1);
      });
      groupParts.forEach(function (part) {
        var n = part.scopes.filter(function (s) {
          return chosen.indexOf(s) !== -1;
        }).length;
        part.$count.text(n ? d.t('editor.scopes-ticked', { n: n, total: part.scopes.length }) : '');
      });
      d.rerender(); // the missing scopes the status names
    }
    function onBox() {
      var scope = this.value;
      var list = N.splitScopes($scope.val()).filter(function (s) {
        return s !== scope;
      });
      if (this.checked) {
        list.push(scope);
      }
      $scope.val(list.join(' ')).trigger('change');
    }
    function addGroup(g, chosen) {
      var $g = $('<div class="netatmo-account-group"></div>').attr('data-group', g.id).appendTo($groups);
      var bodyId = 'netatmo-account-group-' + g.id;
      var $button = $(
        '<button type="button" class="netatmo-account-group-label"><i class="fa fa-caret-right"></i> <span></span> <span class="netatmo-account-group-count"></span></button>',
      )
        .attr('aria-controls', bodyId)
        .appendTo($g);
      $button
        .find('span')
        .first()
        .text(groupText(d.node, g, '', g.label));
      var $body = $('<div class="netatmo-account-group-body"></div>').attr('id', bodyId).appendTo($g);
      g.scopes.forEach(function (s) {
        var $label = $('<label></label>').appendTo($body);
        boxes[s] = $('<input type="checkbox">').val(s).attr('data-scope', s).on('change', onBox).appendTo($label);
        $('<span></span>').text(s).appendTo($label);
      });
      if (g.hint) {
        $('<div class="netatmo-account-group-hint"><i class="fa fa-info-circle"></i> <span></span></div>')
          .find('span')
          .text(groupText(d.node, g, 'hint', g.hint))
          .end()
          .appendTo($body);
      }
      groupParts.push({ $count: $button.find('.netatmo-account-group-count'), scopes: g.scopes });
      N.foldable($button, $body);
      N.setOpen(
        $button,
        $body,
        g.scopes.some(function (s) {
          return chosen.indexOf(s) !== -1;
        }),
      );
    }
    $scope.on('input change', syncBoxes);
    $groups.text(d.t('editor.loading-scopes'));
    N.request('GET', 'netatmo-tokens/scopes')
      .done(function (data) {
        var chosen = N.splitScopes($scope.val());
        $groups.empty();
        (data.groups || []).forEach(function (g) {
          addGroup(g, chosen);
        });
        syncBoxes();
      })
      .fail(function (xhr) {
        $groups.text(d.t('editor.scopes-failed', { error: N.errorText(xhr) }));
      });
  }

  // ---- step 3: the login the fields describe, and whether Authorize can start one

  function credentialsPart(d) {
    /** Authorize needs both the client id and the secret (typed, or saved: shown as a placeholder value). */
    d.credentialsTyped = function () {
      return !!(d.$clientId.val() || '').trim() && !!d.$secret.val();
    };
    d.typedLogin = function () {
      var body = {
        clientId: (d.$clientId.val() || '').trim(),
        scope: d.$scope.val(),
        redirectUri: (d.$redirect.val() || '').trim() || d.callback,
        apiBase: ($('#node-config-input-apiBase').val() || '').trim(),
      };
      var secret = d.$secret.val();
      if (secret && secret !== SAVED_PASSWORD) {
        body.clientSecret = secret;
      }
      return body;
    };
    d.updateAuthorize = function () {
      var ready = d.credentialsTyped();
      d.$authorize.prop('disabled', !ready);
      $('#netatmo-account-needs').toggle(!ready);
    };
    d.$clientId
      .add(d.$secret)
      .on('input change', d.updateAuthorize)
      .on('input', function () {
        $(this).trigger('change'); // Node-RED outlines an empty required field on change: do it as the user types
      });
    d.updateAuthorize();
  }

  function advancedPart(node) {
    var $toggle = $('#netatmo-account-advanced-toggle');
    var $panel = $('#netatmo-account-advanced');
    N.foldable($toggle, $panel);
    if (node.apiBase) {
      N.setOpen($toggle, $panel, true);
    }
  }

  RED.nodes.registerType('netatmo-account', {
    category: 'config',
    defaults: {
      name: { value: '' },
      scope: {
        value: 'read_station',
        required: true,
        validate: function (v) {
          var list = N.splitScopes(v);
          return (
            list.length > 0 &&
            list.every(function (s) {
              return SCOPE_RE.test(s);
            })
          );
        },
      },
      redirectUri: {
        value: '',
        validate: function (v) {
          return !v || isHttpUrl(v);
        },
      },
      apiBase: {
        value: '',
        validate: function (v) {
          return !v || isHttpUrl(v);
        },
      },
      webhookUrl: {
        value: '',
        validate: function (v) {
          return !webhookProblem(v);
        },
      },
    },
    credentials: {
      clientId: { type: 'text', required: true },
      clientSecret: { type: 'password', required: true },
    },
    paletteLabel: function () {
      return this._('netatmo-account.label.default');
    },
    label: function () {
      // Two accounts must be told apart: the name, else the start of the client id.
      var id = this.credentials && this.credentials.clientId;
      if (this.name) {
        return this.name;
      }
      return id ? this._('netatmo-account.label.default-client', { id: String(id).slice(0, 8) }) : this._('netatmo-account.label.default');
    },
    oneditprepare: function () {
      var node = this;
      var ingress = underIngress();
      /** What the parts share: the account, its texts, the fields, and what each part adds (render, poll, ...). */
      var d = {
        node: node,
        t: function (key, opts) {
          return node._('netatmo-account.' + key, opts);
        },
        ingress: ingress,
        callback: ingress ? PASTE_REDIRECT : callbackUrl(),
        $scope: $('#node-config-input-scope'),
        $redirect: $('#node-config-input-redirectUri'),
        $clientId: $('#node-config-input-clientId'),
        $secret: $('#node-config-input-clientSecret'),
        $status: $('#netatmo-account-status'),
        $message: $('#netatmo-account-message'),
        $authorize: $('#netatmo-account-authorize'),
        $pasteToggle: $('#netatmo-account-paste-toggle'),
        $pastePanel: $('#netatmo-account-paste'),
      };
      webhookPart(node, d.t);
      redirectPart(d);
      N.statusPart(d);
      scopesPart(d);
      credentialsPart(d);
      N.startPolling(d);
      N.pastePart(d);
      advancedPart(node);
      N.authorizePart(d);
    },
    oneditsave: function () {
      N.closeDialog();
    },
    oneditcancel: function () {
      N.closeDialog();
    },
    oneditdelete: function () {
      N.closeDialog();
    },
  });
})();
