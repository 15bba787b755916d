/**
 * The netatmo-account dialog. Node-RED serves this package's resources/ folder at
 * resources/node-red-contrib-netatmo-tokens/, and nodes/netatmo-account.html loads this file from there
 * before its template. Named parts: the requests, the folding toggle, the webhook, the scopes, the
 * status poll, Authorize and the paste box; oneditprepare only wires them together.
 */
(function () {
  'use strict';

  var SCOPE_RE = /^[a-z][a-z0-9_]{1,63}$/;
  var SAVED_PASSWORD = '__PWRD__';
  var POLL_MS = 2000;
  /** What to register when Netatmo cannot send the browser back to Node-RED: a page the browser fails to open. */
  var PASTE_REDIRECT = 'http://localhost/';
  /** The one open dialog (Node-RED opens one config dialog at a time): its poller and its account. */
  var open = null;

  function splitScopes(text) {
    return String(text || '')
      .split(/[\s,]+/)
      .filter(Boolean);
  }

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

  // ---- requests

  /**
   * The one way the dialog talks to the runtime: JSON both ways, never cached, through jQuery's $.ajax so
   * that Node-RED's ajax set-up adds the editor's admin token (a plain fetch would go without it). The
   * answers (errors, states) come in the editor's language, which the user may have chosen in Node-RED's
   * settings apart from the browser's (which the request would carry otherwise).
   */
  function request(method, path, body) {
    var options = {
      url: 'netatmo-tokens/' + path,
      method: method,
      dataType: 'json',
      cache: false,
      headers: { 'Accept-Language': RED.i18n.lang() },
    };
    if (body !== undefined) {
      options.contentType = 'application/json';
      options.data = JSON.stringify(body);
    }
    return $.ajax(options);
  }

  /** A route of one account: `netatmo-tokens/<id>/<what>`. */
  function accountPath(id, what) {
    return encodeURIComponent(id) + '/' + what;
  }

  function errorText(xhr) {
    var e = xhr && xhr.responseJSON && xhr.responseJSON.error;
    if (e && e.message) {
      return e.message;
    }
    return (xhr && xhr.status ? xhr.status + ' ' : '') + ((xhr && xhr.statusText) || 'error');
  }

  function closeDialog() {
    if (!open) {
      return;
    }
    var closing = open;
    open = null;
    clearInterval(closing.timer);
    $(window).off('focus.netatmo-account');
    // Tells the runtime no dialog shows this account any more (after a poll still under way, which says
    // "open"): a login stored for it goes at the next deploy if the account is not in it (Cancel).
    $.when(closing.inflight).always(function () {
      request('POST', accountPath(closing.id, 'dialog'), { open: false });
    });
  }

  // ---- the folding toggle (scope groups, the paste box, the advanced settings)

  function setOpen($button, $panel, isOpen) {
    $panel.toggle(isOpen);
    $button.attr('aria-expanded', String(isOpen)).find('i.fa').toggleClass('fa-caret-right', !isOpen).toggleClass('fa-caret-down', isOpen);
  }
  function foldable($button, $panel, onOpen) {
    $button.on('click', function (evt) {
      evt.preventDefault();
      var isOpen = $button.attr('aria-expanded') !== 'true';
      setOpen($button, $panel, isOpen);
      if (onOpen && isOpen) {
        onOpen();
      }
    });
  }

  function showMessage($el, text, kind) {
    $el
      .removeClass('netatmo-ok netatmo-bad netatmo-warn')
      .addClass(kind ? 'netatmo-' + kind : '')
      .text(text || '')
      .toggle(!!text);
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
    request('GET', accountPath(node.id, 'status')).done(function (data) {
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

  function scopesPart(d) {
    var $scope = d.$scope;
    var $groups = $('#netatmo-account-groups');
    var boxes = {};
    var groupParts = [];
    function syncBoxes() {
      var chosen = splitScopes($scope.val());
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
      var list = splitScopes($scope.val()).filter(function (s) {
        return s !== scope;
      });
      if (this.checked) {
        list.push(scope);
      }
      $scope.val(list.join(' ')).trigger('change');
    }
    function groupText(group, key, fallback) {
      var k = 'netatmo-account.scopes.' + group.id + (key ? '-' + key : '');
      var v = d.node._(k);
      return v && v !== k && v.indexOf('netatmo-account.scopes.') === -1 ? v : fallback;
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
        .text(groupText(g, '', g.label));
      var $body = $('<div class="netatmo-account-group-body"></div>').attr('id', bodyId).appendTo($g);
      g.scopes.forEach(function (s) {
        var $label = $('<label></label>').appendTo($body);
        boxes[s] = $('<input type="checkbox">').val(s).attr('data-scope', s).on('change', onBox).appendTo($label);
        $('<span></span>').text(s).appendTo($label);
      });
      if (g.hint) {
        $('<div class="netatmo-account-group-hint"><i class="fa fa-info-circle"></i> <span></span></div>')
          .find('span')
          .text(groupText(g, 'hint', g.hint))
          .end()
          .appendTo($body);
      }
      groupParts.push({ $count: $button.find('.netatmo-account-group-count'), scopes: g.scopes });
      foldable($button, $body);
      setOpen(
        $button,
        $body,
        g.scopes.some(function (s) {
          return chosen.indexOf(s) !== -1;
        }),
      );
    }
    $scope.on('input change', syncBoxes);
    $groups.text(d.t('editor.loading-scopes'));
    request('GET', 'scopes')
      .done(function (data) {
        var chosen = splitScopes($scope.val());
        $groups.empty();
        (data.groups || []).forEach(function (g) {
          addGroup(g, chosen);
        });
        syncBoxes();
      })
      .fail(function (xhr) {
        $groups.text(d.t('editor.scopes-failed', { error: errorText(xhr) }));
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

  // ---- the account's state, polled while the dialog is open

  function duration(t, ms) {
    if (ms <= 0) {
      return t('editor.time.expired');
    }
    var min = Math.round(ms / 60000);
    if (min < 60) {
      return t('editor.time.minutes', { m: min });
    }
    return t('editor.time.hours', { h: Math.floor(min / 60), m: min % 60 });
  }

  /** The status box's kind, title, details and warning for a state the runtime sent. */
  function describeState(d, st) {
    var t = d.t;
    var view = { kind: 'none', title: '', details: [], warn: null };
    if (st.authorized) {
      view.kind = st.status === 'ok' || st.status === 'refreshing' ? 'ok' : 'warn';
      // Before the deploy that puts it to use, one state: authorized, deploy to use it.
      view.title = t(st.deployed ? 'editor.status.authorized' : 'editor.status.authorized-deploy');
      view.details.push(t('editor.status.scopes', { scopes: (st.scope || []).join(' ') }));
      // Ticked scopes the stored login does not carry: they need a new authorization.
      var granted = st.scope || [];
      var missing = splitScopes(d.$scope.val()).filter(function (s) {
        return granted.indexOf(s) === -1;
      });
      if (missing.length) {
        view.warn = t('editor.status.scopes-missing', { scopes: missing.join(' ') });
      }
      if (st.expires_at) {
        view.details.push(t('editor.status.expires', { time: duration(t, st.expires_at - Date.now()) }));
      }
      if (st.last_refresh) {
        view.details.push(t('editor.status.last-refresh', { time: new Date(st.last_refresh).toLocaleString() }));
      }
      if (st.error && st.error.message) {
        view.details.push(t('editor.status.problem', { code: st.error.code, message: st.error.message }));
      }
    } else if (st.status === 'reauthorize') {
      view.kind = 'bad';
      view.title = t('editor.status.reauthorize');
      view.details.push(st.error && st.error.message ? st.error.message : '');
    } else if (st.error && st.error.code && st.error.code !== 'NOT_AUTHORIZED') {
      view.kind = 'bad';
      view.title = t('editor.status.error', { code: st.error.code });
      view.details.push(st.error.message);
    } else {
      view.title = t('editor.status.unauthorized');
      // The hint names only what is still missing: no "enter the client id" under filled fields.
      view.details.push(t(d.credentialsTyped() ? 'editor.status.unauthorized-ready' : 'editor.status.unauthorized-hint'));
    }
    return view;
  }

  function statusPart(d) {
    var t = d.t;
    var $status = d.$status;
    var lastStatus = null;
    // The attempt this dialog started with Authorize: waiting, then how it ended.
    d.attempt = null;
    d.renderAttempt = function (a) {
      var $box = $('#netatmo-account-attempt');
      if (!d.attempt || !a) {
        return;
      }
      var outcome = a.outcome;
      $box.attr('data-outcome', outcome);
      var text;
      if (outcome === 'pending') {
        text = t(d.ingress ? 'editor.attempt.waiting-ingress' : 'editor.attempt.waiting');
      } else if (outcome === 'failed') {
        text = t('editor.attempt.failed', { code: a.code || '', message: a.message || '' });
      } else {
        text = t('editor.attempt.' + outcome);
      }
      $('#netatmo-account-attempt-text').text(text);
      $('#netatmo-account-link').toggle(outcome === 'pending');
      $box
        .removeClass('netatmo-ok netatmo-bad')
        .addClass(outcome === 'authorized' ? 'netatmo-ok' : outcome === 'pending' ? '' : 'netatmo-bad')
        .show();
      if (outcome !== 'pending') {
        showMessage(d.$message, '');
      }
    };
    d.render = function (st) {
      lastStatus = st;
      var view = describeState(d, st);
      $status
        .removeClass('netatmo-ok netatmo-warn netatmo-bad')
        .addClass(view.kind === 'none' ? '' : 'netatmo-' + view.kind)
        .attr('data-status', st.authorized ? 'authorized' : st.status)
        .empty();
      $('<div class="netatmo-account-status-title"></div>').text(view.title).appendTo($status);
      if (view.warn) {
        $('<div class="netatmo-account-status-detail netatmo-warn" id="netatmo-account-scopes-missing"></div>')
          .text(view.warn)
          .appendTo($status);
      }
      view.details.filter(Boolean).forEach(function (text) {
        $('<div class="netatmo-account-status-detail"></div>').text(text).appendTo($status);
      });
      d.renderAttempt(st.attempt);
    };
    d.rerender = function () {
      if (lastStatus) {
        d.render(lastStatus);
      }
    };
    d.poll = function () {
      if (!open || open.inflight) {
        return;
      }
      if (!document.body.contains($status[0])) {
        closeDialog();
        return;
      }
      var mine = open;
      // "This dialog is open" is a write (a guarded POST); the status itself is a plain GET.
      var status = function () {
        return request('GET', accountPath(d.node.id, 'status'));
      };
      mine.inflight = request('POST', accountPath(d.node.id, 'dialog'), { open: true })
        .then(status, status)
        .done(d.render)
        .fail(function (xhr) {
          $status.removeClass('netatmo-ok netatmo-warn').addClass('netatmo-bad').empty();
          $('<div class="netatmo-account-status-title"></div>').text(t('editor.status.unknown')).appendTo($status);
          $('<div class="netatmo-account-status-detail"></div>').text(errorText(xhr)).appendTo($status);
        })
        .always(function () {
          mine.inflight = null;
        });
    };
  }

  function startPolling(d) {
    closeDialog();
    open = { id: d.node.id, timer: setInterval(d.poll, POLL_MS) };
    // Back from the Netatmo tab: ask at once instead of waiting for the next poll.
    $(window).on('focus.netatmo-account', d.poll);
    d.poll();
  }

  // ---- Authorize: a Netatmo tab, the attempt shown until it ends

  /** Opened in the click, so that no popup blocker stops it; filled once the URL is known. */
  function blankTab(t) {
    var tab = window.open('', '_blank');
    if (tab) {
      try {
        tab.opener = null;
        tab.document.title = t('editor.opening');
        tab.document.body.textContent = t('editor.opening');
      } catch (e) {
        /* the tab stays blank until it navigates */
      }
    }
    return tab;
  }

  function authorizePart(d) {
    var t = d.t;
    d.$authorize.on('click', function (evt) {
      evt.preventDefault();
      showMessage(d.$message, '');
      $('#netatmo-account-attempt').hide();
      d.attempt = null;
      var tab = blankTab(t);
      d.$authorize.prop('disabled', true);
      request('POST', accountPath(d.node.id, 'authorize'), d.typedLogin())
        .done(function (res) {
          $('#netatmo-account-link-a').attr('href', res.url);
          if (tab && !tab.closed) {
            tab.location.href = res.url;
          }
          d.attempt = { url: res.url };
          d.renderAttempt({ outcome: 'pending' });
          if (d.ingress || (d.$redirect.val() || '').trim()) {
            // The paste path: the box is open and focused for when the user comes back.
            setOpen(d.$pasteToggle, d.$pastePanel, true);
            $('#netatmo-account-paste-text').trigger('focus');
          }
        })
        .fail(function (xhr) {
          if (tab) {
            tab.close();
          }
          showMessage(d.$message, t('editor.authorize-failed', { error: errorText(xhr) }), 'bad');
        })
        .always(function () {
          d.updateAuthorize();
        });
    });
  }

  // ---- the paste box: an address, a code or a refresh token

  function pastePart(d) {
    var t = d.t;
    var $text = $('#netatmo-account-paste-text');
    foldable(d.$pasteToggle, d.$pastePanel, function () {
      $text.trigger('focus');
    });
    $('#netatmo-account-paste-use').on('click', function (evt) {
      evt.preventDefault();
      var $button = $(this);
      var $out = $('#netatmo-account-paste-message');
      var pasted = ($text.val() || '').trim();
      if (!pasted) {
        showMessage($out, t('editor.paste-empty'), 'bad');
        return;
      }
      var body = d.typedLogin();
      body.text = pasted;
      $button.prop('disabled', true);
      showMessage($out, t('editor.paste-working'));
      request('POST', accountPath(d.node.id, 'code'), body)
        .done(function (st) {
          $text.val('');
          showMessage($out, t('editor.paste-ok-' + st.kind, { scopes: (st.scope || []).join(' ') }), 'ok');
          d.render(st);
          d.poll(); // the attempt it finished, if any, is over
        })
        .fail(function (xhr) {
          // What the text was taken for (address, code, refresh token), then why it was refused.
          var taken = xhr.responseJSON && xhr.responseJSON.taken;
          showMessage($out, (taken ? t('editor.paste-taken-' + taken) + ' ' : '') + errorText(xhr), 'bad');
        })
        .always(function () {
          $button.prop('disabled', false);
          $out[0].scrollIntoView({ block: 'nearest' });
        });
    });
  }

  function advancedPart(node) {
    var $toggle = $('#netatmo-account-advanced-toggle');
    var $panel = $('#netatmo-account-advanced');
    foldable($toggle, $panel);
    if (node.apiBase) {
      setOpen($toggle, $panel, true);
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
          var list = splitScopes(v);
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
      statusPart(d);
      scopesPart(d);
      credentialsPart(d);
      startPolling(d);
      pastePart(d);
      advancedPart(node);
      authorizePart(d);
    },
    oneditsave: closeDialog,
    oneditcancel: closeDialog,
    oneditdelete: closeDialog,
  });
})();
