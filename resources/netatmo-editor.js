/**
 * What the editors of this package share: the one JSON request helper, the folding toggle, messages.
 * Node-RED serves this package's resources/ folder at resources/node-red-contrib-netatmo-tokens/; the
 * nodes' HTML files load it from there. Parts are published on window.netatmoTokensEditor.
 */
(function () {
  'use strict';

  var N = (window.netatmoTokensEditor = window.netatmoTokensEditor || {});

  function splitScopes(text) {
    return String(text || '')
      .split(/[\s,]+/)
      .filter(Boolean);
  }

  // ---- requests

  /**
   * The one way the dialogs talk to the runtime: JSON both ways, never cached, through jQuery's $.ajax so
   * that Node-RED's ajax set-up adds the editor's admin token (a plain fetch would go without it). The
   * answers (errors, states) come in the editor's language, which the user may have chosen in Node-RED's
   * settings apart from the browser's (which the request would carry otherwise).
   */
  function request(method, url, body) {
    var options = {
      url: url, // relative: Node-RED's set-up adds its apiRootUrl and the token only to relative addresses
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
    return 'netatmo-tokens/' + encodeURIComponent(id) + '/' + what;
  }

  function errorText(xhr) {
    var e = xhr && xhr.responseJSON && xhr.responseJSON.error;
    if (e && e.message) {
      return e.message;
    }
    return (xhr && xhr.status ? xhr.status + ' ' : '') + ((xhr && xhr.statusText) || 'error');
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

  N.splitScopes = splitScopes;
  N.request = request;
  N.accountPath = accountPath;
  N.errorText = errorText;
  N.setOpen = setOpen;
  N.foldable = foldable;
  N.showMessage = showMessage;
})();
