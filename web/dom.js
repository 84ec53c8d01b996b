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

  KF.dom = {
    h: h,
    words: function (id) { return String(id || '').replace(/_/g, ' '); },
    sentence: function (t) { t = String(t || ''); return t.charAt(0).toUpperCase() + t.slice(1); },
    clear: function (node) { while (node.firstChild) node.removeChild(node.firstChild); },
    sideText: function (side) {
      return side === 'left' ? 'left side' : side === 'right' ? 'right side'
           : side === 'both' ? 'both sides' : '';
    }
  };
})();
