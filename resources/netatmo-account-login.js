/**
 * The netatmo-account dialog's login parts: the state polled while the dialog is open, Authorize and the
 * paste box (nodes/netatmo-account.html loads this file from resources/, with netatmo-editor.js).
 */
(function () {
  'use strict';

  var N = (window.netatmoTokensEditor = window.netatmoTokensEditor || {});
  // Node-RED loads these files in any order before the HTML: parts from the others are taken from N when called.

  var POLL_MS = 2000;
  /** The one open dialog (Node-RED opens one config dialog at a time): its poller and its account. */
  var open = null;

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
      N.request('POST', N.accountPath(closing.id, 'dialog'), { open: false });
    });
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
    // Heading and colour come from the server's one table (displayOf in src/core/token/account-state.ts).
    var display = st.display || { heading: 'unauthorized', tone: 'none' };
    var view = { kind: display.tone, title: '', details: [], warn: null };
    var heading = display.heading;
    if (heading === 'authorized') {
      // Before the deploy that puts it to use, one state: authorized, deploy to use it.
      view.title = t(st.deployed ? 'editor.status.authorized' : 'editor.status.authorized-deploy');
      authorizedDetails(d, st, view);
    } else if (heading === 'unauthorized') {
      view.title = t('editor.status.unauthorized');
      // The hint names only what is still missing: no "enter the client id" under filled fields.
      view.details.push(t(d.credentialsTyped() ? 'editor.status.unauthorized-ready' : 'editor.status.unauthorized-hint'));
    } else {
      // reauthorize or error: the heading, then what Netatmo or the runtime said.
      view.title = t('editor.status.' + heading, { code: st.error ? st.error.code : '' });
      view.details.push(st.error && st.error.message ? st.error.message : '');
    }
    return view;
  }

  /** An authorized login's scopes (and ticked ones it lacks), expiry, last refresh and last problem. */
  function authorizedDetails(d, st, view) {
    var t = d.t;
    view.details.push(t('editor.status.scopes', { scopes: (st.scope || []).join(' ') }));
    // Ticked scopes the stored login does not carry: they need a new authorization.
    var granted = st.scope || [];
    var missing = N.splitScopes(d.$scope.val()).filter(function (s) {
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
  }

  // The attempt this dialog started with Authorize: waiting, then how it ended.
  function attemptPart(d) {
    var t = d.t;
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
        N.showMessage(d.$message, '');
      }
    };
  }

  function statusPart(d) {
    var t = d.t;
    var $status = d.$status;
    var lastStatus = null;
    attemptPart(d);
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
        return N.request('GET', N.accountPath(d.node.id, 'status'));
      };
      mine.inflight = N.request('POST', N.accountPath(d.node.id, 'dialog'), { open: true })
        .then(status, status)
        .done(d.render)
        .fail(function (xhr) {
          $status.removeClass('netatmo-ok netatmo-warn').addClass('netatmo-bad').empty();
          $('<div class="netatmo-account-status-title"></div>').text(t('editor.status.unknown')).appendTo($status);
          $('<div class="netatmo-account-status-detail"></div>').text(N.errorText(xhr)).appendTo($status);
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
      N.showMessage(d.$message, '');
      $('#netatmo-account-attempt').hide();
      d.attempt = null;
      var tab = blankTab(t);
      d.$authorize.prop('disabled', true);
      N.request('POST', N.accountPath(d.node.id, 'authorize'), d.typedLogin())
        .done(function (res) {
          $('#netatmo-account-link-a').attr('href', res.url);
          if (tab && !tab.closed) {
            tab.location.href = res.url;
          }
          d.attempt = { url: res.url };
          d.renderAttempt({ outcome: 'pending' });
          if (d.ingress || (d.$redirect.val() || '').trim()) {
            // The paste path: the box is open and focused for when the user comes back.
            N.setOpen(d.$pasteToggle, d.$pastePanel, true);
            $('#netatmo-account-paste-text').trigger('focus');
          }
        })
        .fail(function (xhr) {
          if (tab) {
            tab.close();
          }
          N.showMessage(d.$message, t('editor.authorize-failed', { error: N.errorText(xhr) }), 'bad');
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
    N.foldable(d.$pasteToggle, d.$pastePanel, function () {
      $text.trigger('focus');
    });
    $('#netatmo-account-paste-use').on('click', function (evt) {
      evt.preventDefault();
      var $button = $(this);
      var $out = $('#netatmo-account-paste-message');
      var pasted = ($text.val() || '').trim();
      if (!pasted) {
        N.showMessage($out, t('editor.paste-empty'), 'bad');
        return;
      }
      var body = d.typedLogin();
      body.text = pasted;
      $button.prop('disabled', true);
      N.showMessage($out, t('editor.paste-working'));
      N.request('POST', N.accountPath(d.node.id, 'code'), body)
        .done(function (st) {
          $text.val('');
          N.showMessage($out, t('editor.paste-ok-' + st.kind, { scopes: (st.scope || []).join(' ') }), 'ok');
          d.render(st);
          d.poll(); // the attempt it finished, if any, is over
        })
        .fail(function (xhr) {
          // What the text was taken for (address, code, refresh token), then why it was refused.
          var taken = xhr.responseJSON && xhr.responseJSON.taken;
          N.showMessage($out, (taken ? t('editor.paste-taken-' + taken) + ' ' : '') + N.errorText(xhr), 'bad');
        })
        .always(function () {
          $button.prop('disabled', false);
          $out[0].scrollIntoView({ block: 'nearest' });
        });
    });
  }

  N.closeDialog = closeDialog;
  N.statusPart = statusPart;
  N.startPolling = startPolling;
  N.authorizePart = authorizePart;
  N.pastePart = pastePart;
})();
