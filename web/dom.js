/*
 * dom.js — small DOM and wording helpers shared by the page's scripts
 * (app.js, journal.js): KF.dom.h builds an element from a tag, attributes
 * and children (text nodes for strings; "on..." attributes become event
 * listeners, so no inline handlers are needed under the page's CSP).
 */
(function () {
  'use strict';
  var KF = window.KF = window.KF || {};

  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  /* The journal's token.  A server that other computers can reach prints
   * its address with "#token=..." after it; the page keeps the token (in
   * this browser's storage for this address only) and drops it from the
   * address bar, then sends it with every API request. */
  var TOKEN_KEY = 'knotfinder-token';
  (function keepToken() {
    var m = /^#token=([0-9a-f]{32})$/.exec(location.hash || '');
    if (!m) return;
    try { localStorage.setItem(TOKEN_KEY, m[1]); } catch (e) { /* private mode */ }
    history.replaceState(null, '', location.pathname + location.search);
  })();
  function token() {
    try { return localStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }

  var CSRF_KEY = 'knotfinder-csrf';
  function csrfToken() {
    try { return sessionStorage.getItem(CSRF_KEY) || ''; } catch (e) { return ''; }
  }
  function setCsrf(t) {
    try {
      if (t) sessionStorage.setItem(CSRF_KEY, t); else sessionStorage.removeItem(CSRF_KEY);
    } catch (e) { /* private mode: the page asks again */ }
  }

  var TOO_LONG = 'that is too long to send: the server takes at most 64 KB (about 10,000 words). ' +
                 'Shorten it and send it again';
  /* An error answer that is not the server's JSON (a proxy's page, a
   * server that is stopping), in words. */
  function plainStatus(status, text) {
    var what = status + (text ? ' ' + text : '');
    if (status === 413) return TOO_LONG;
    if (status >= 500) return 'the server is not answering properly just now (' + what + '); try again in a moment';
    return 'the server answered ' + what;
  }

  /* GET (no body), POST JSON, or another method (DELETE) given as the
   * third argument.  Resolves with the parsed answer; rejects
   * with an Error carrying .status (0: no server), .code and .kind:
   * 'server' (message is the server's own sentence, .serverSaid, or its
   * status line),
   * 'unreadable' (an answer that is not JSON) or 'unreachable'. */
  function api(path, body, method) {
    var init = body === undefined ? { method: method || 'GET', headers: {} } :
      { method: method || 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    var tok = token();
    if (tok) init.headers['X-Knotfinder-Token'] = tok;
    /* The hosted course: a request that changes something carries the
     * session's CSRF token (kept for this tab by course.js and hosted.js). */
    var csrf = csrfToken();
    if (csrf && init.method !== 'GET') init.headers['X-CSRF-Token'] = csrf;
    function fail(kind, msg, status, code) {
      var err = new Error(msg);
      err.kind = kind;
      err.status = status;
      err.code = code || '';
      return err;
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (!res.ok) {
          var said = data && data.error && data.error.message;
          var err = fail('server', said ? String(said) : plainStatus(res.status, res.statusText),
                         res.status, data && data.error ? data.error.code : '');
          err.serverSaid = !!said;
          /* Too long: the server's words name bytes; say it for a person. */
          if (res.status === 413) {
            err.message = TOO_LONG;
            err.serverSaid = false;
          }
          throw err;
        }
        if (res.status === 204) return {};          /* done, nothing to say */
        if (data === null)
          throw fail('unreadable', 'the server sent an answer this page could not read', res.status);
        return data;
      });
    }, function () {
      throw fail('unreachable', 'could not reach the knotfinder server; is it still running?', 0);
    });
  }

  /* The local emergency number from the browser's language (its region),
   * 112 where it says nothing we know: 112 works across Europe and from
   * most mobile phones. */
  var N911 = ['US', 'CA', 'MX', 'PR', 'GU', 'VI', 'AS', 'MP', 'PH', 'PA', 'CR', 'SV', 'DO'];
  var N999 = ['GB', 'IE', 'HK', 'MY', 'BD'];
  function emergencyNumber() {
    var langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''];
    for (var i = 0; i < langs.length; i++) {
      var m = /^[A-Za-z]{2,3}(?:[-_][A-Za-z]{4})?[-_]([A-Za-z]{2})(?:[-_]|$)/.exec(String(langs[i] || ''));
      if (!m) continue;
      var reg = m[1].toUpperCase();
      return N911.indexOf(reg) >= 0 ? '911' : N999.indexOf(reg) >= 0 ? '999' : '112';
    }
    return '112';
  }
  function callBox() {
    var num = emergencyNumber();
    var others = [['112', 'Europe and most mobile phones'], ['911', 'USA, Canada, Mexico'], ['999', 'UK, Ireland']];
    return h('div', { 'class': 'kf-call' }, [
      h('a', { 'class': 'kf-btn kf-call-main', href: 'tel:' + num, 'data-kf': 'emergency-call',
               'data-number': num, text: 'Call ' + num + ' now' }),
      /* one row per number, the whole row the link: a target 44 px high
       * on a phone, with the words of where it is the number */
      h('p', { 'class': 'kf-call-others' }, ['Emergency numbers:'].concat(
        others.map(function (o) {
          return h('a', { href: 'tel:' + o[0], 'data-number': o[0] },
                   [h('strong', { text: o[0] }), h('span', { text: ' ' + o[1] })]);
        })))
    ]);
  }

  KF.dom = {
    h: h,
    api: api,
    callBox: callBox,
    emergencyNumber: emergencyNumber,
    setCsrf: setCsrf,
    words: function (id) { return String(id || '').replace(/_/g, ' '); },
    sentence: function (t) { t = String(t || ''); return t.charAt(0).toUpperCase() + t.slice(1); },
    clear: function (node) { while (node.firstChild) node.removeChild(node.firstChild); },
    sideText: function (side) {
      return side === 'left' ? 'left side' : side === 'right' ? 'right side'
           : side === 'both' ? 'both sides' : '';
    }
  };
})();
