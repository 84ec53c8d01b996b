/*
 * hosted.js — on the main page, when the server runs the hosted course
 * (serve --hosted): shows the link to the course page and, for a signed-in
 * user, keeps the session's CSRF token for this tab so that the page's
 * consultations and check-ins (app.js, journal.js) carry it.  In the local
 * mode (GET /api/v1/health says "mode": "local") nothing changes.
 */
(function () {
  'use strict';
  var KF = window.KF;
  fetch('/api/v1/health').then(function (res) { return res.json(); }).then(function (hj) {
    if (!hj || hj.mode !== 'hosted') return;        /* the local mode */
    return fetch('/api/v1/session', { credentials: 'same-origin' });
  }).then(function (res) {
    if (!res) return;
    var link = document.getElementById('nav-course');
    if (link) link.hidden = false;
    if (res.status !== 200) { KF.dom.setCsrf(''); return; }
    return res.json().then(function (j) {
      KF.dom.setCsrf(j.csrf);
      /* The address is said to screen readers and on hover: spelled out
       * in the header it pushed the page sideways on a phone. */
      if (link) {
        link.textContent = 'Course';
        link.appendChild(KF.dom.h('span', { 'class': 'kf-sr-only', text: ' (signed in as ' + j.user.email + ')' }));
        link.title = 'Signed in as ' + j.user.email;
      }
    });
  }).catch(function () { /* the main page works without it */ });
})();
