/*
 * course.js — the hosted course's page (course.html): sign up, sign in and
 * out, the lessons with "your next lesson", questions to the therapist
 * (with the hidden honeypot field), the therapist's queue with the drafted
 * replies, the public questions and answers, and "your data": download
 * everything, delete the account.  Every call is the JSON API of
 * docs/API.md; the CSRF token the login gives is kept for this tab
 * (KF.dom.setCsrf) and sent with every request that changes something.
 */
(function () {
  'use strict';
  var KF = window.KF, h = KF.dom.h, clear = KF.dom.clear;
  var $ = function (id) { return document.getElementById(id); };
  var me = null;

  function say(msg) { $('status').textContent = msg || ''; }
  function showError(msg) {
    var e = $('error');
    e.textContent = msg || '';
    e.hidden = !msg;
    if (msg) e.scrollIntoView({ block: 'nearest' });
  }
  function api(path, body, method) {
    showError('');
    return KF.dom.api(path, body, method).catch(function (err) {
      if (err.status === 401 && me && path !== '/api/v1/session') {
        me = null;                       /* the session ended: sign in again */
        KF.dom.setCsrf('');
        show();
      }
      showError(err.kind === 'server' ? err.message : 'Could not reach the server.');
      throw err;
    });
  }

  /* ---- signed in or not ---- */

  function show() {
    $('c-signed-in').hidden = !me;
    $('c-signed-out').hidden = !!me;
    if (me) {
      $('c-me-email').textContent = me.email;
      $('c-queue-box').hidden = me.role !== 'therapist';
      loadLessons();
      loadQuestions();
    }
    loadQa();
  }

  function signedIn(j) {
    KF.dom.setCsrf(j.csrf);
    me = j.user;
    show();
  }

  $('c-login').addEventListener('submit', function (ev) {
    ev.preventDefault();
    api('/api/v1/session', { email: $('c-login-email').value, password: $('c-login-pw').value })
      .then(function (j) { $('c-login-pw').value = ''; say('Signed in.'); signedIn(j); }, function () {});
  });

  $('c-signup').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var email = $('c-su-email').value, pw = $('c-su-pw').value;
    if (!$('c-su-consent').checked) {
      showError('Please tick the box: the course keeps your health data only with your consent.');
      return;
    }
    api('/api/v1/account', { email: email, password: pw, consent: true }).then(function () {
      return api('/api/v1/session', { email: email, password: pw });
    }).then(function (j) { $('c-su-pw').value = ''; say('Your account is ready.'); signedIn(j); }, function () {});
  });

  $('c-logout').addEventListener('click', function () {
    api('/api/v1/session', undefined, 'DELETE').then(function () {
      KF.dom.setCsrf('');
      me = null;
      say('Signed out.');
      show();
    }, function () {});
  });

  /* ---- lessons ---- */

  function lessonNode(l) {
    var box = h('article', { 'class': 'kf-card kf-lesson', 'data-kf': 'lesson', 'data-id': l.id }, [
      h('h3', { text: l.title + (l.done ? ' (done)' : '') })
    ]);
    (l.paragraphs || []).forEach(function (p) { box.appendChild(h('p', { text: p })); });
    if (!l.done)
      box.appendChild(h('button', { type: 'button', 'class': 'kf-btn', 'data-kf': 'lesson-done',
        onclick: function () {
          api('/api/v1/lessons/' + encodeURIComponent(l.id) + '/done', {}).then(function () {
            say('Marked as done.');
            loadLessons();
          }, function () {});
        } }, ['I have done this lesson']));
    return box;
  }

  function loadLessons() {
    api('/api/v1/lessons').then(function (j) {
      var next = $('c-next'), all = $('c-lessons');
      clear(next);
      clear(all);
      var byId = {};
      (j.modules || []).forEach(function (m) {
        var d = h('details', { 'class': 'kf-fold' }, [h('summary', { text: m.title + ' (' +
          m.lessons.filter(function (l) { return l.done; }).length + ' of ' + m.lessons.length + ' done)' })]);
        m.lessons.forEach(function (l) { byId[l.id] = l; d.appendChild(lessonNode(l)); });
        all.appendChild(d);
      });
      if (j.next && byId[j.next.id]) {
        if (j.next.why) next.appendChild(h('p', { 'class': 'kf-hint', text: j.next.why }));
        next.appendChild(lessonNode(byId[j.next.id]));
      } else {
        next.appendChild(h('p', { text: 'You have done every lesson.' }));
      }
      all.insertBefore(h('p', { 'class': 'kf-muted', text: j.done + ' of ' + j.total + ' lessons done.' }),
                       all.firstChild);
    }, function () {});
  }

  /* ---- questions ---- */

  $('c-ask').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var body = { text: $('c-ask-text').value, attach: $('c-ask-attach').checked,
                 'public': $('c-ask-public').checked, first_name: $('c-ask-name').value };
    var hp = $('c-ask-website').value;
    if (hp) body.website = hp;
    api('/api/v1/questions', body).then(function () {
      $('c-ask-text').value = '';
      say('Your question was sent. The answer will appear below.');
      loadQuestions();
    }, function () {});
  });

  function questionNode(q) {
    return h('article', { 'class': 'kf-card', 'data-kf': 'my-question', 'data-id': String(q.id) }, [
      h('p', { 'class': 'kf-muted', text: 'Asked ' + q.at.slice(0, 10) + (q['public'] ? ' (may be shown publicly)' : '') }),
      h('p', { 'class': 'kf-quote', text: q.text }),
      q.answer ? h('div', { 'data-kf': 'answer' }, q.answer.split(/\n\s*\n/).map(function (p) {
        return h('p', { text: p });
      })) : h('p', { 'class': 'kf-muted', text: 'Not answered yet.' })
    ]);
  }

  function queueNode(q) {
    var ta = h('textarea', { rows: '12', 'aria-label': 'Answer to question ' + q.id, 'data-kf': 'draft' });
    ta.value = q.draft || '';
    var pub = h('input', { type: 'checkbox', id: 'pub-' + q.id, checked: q['public'] ? true : null,
                           disabled: q['public'] ? null : true });
    return h('article', { 'class': 'kf-card', 'data-kf': 'queued', 'data-id': String(q.id),
                          'data-triage': q.triage || 'unknown' }, [
      h('p', { 'class': 'kf-muted', text: (q.first_name || 'A reader') + ', ' + q.at.slice(0, 10) +
        ' — triage: ' + KF.dom.words(q.triage || 'not screened') + (q.attached ? ' — journal attached' : '') }),
      h('p', { 'class': 'kf-quote', text: q.text }),
      ta,
      h('p', { 'class': 'kf-check' }, [pub, h('label', { 'for': 'pub-' + q.id,
        text: q['public'] ? 'Publish on the questions page' : 'The asker did not agree to publish' })]),
      h('button', { type: 'button', 'class': 'kf-btn kf-primary', 'data-kf': 'answer-send',
        onclick: function () {
          api('/api/v1/questions/' + q.id + '/answer', { text: ta.value, publish: pub.checked })
            .then(function () { say('Answered.'); loadQuestions(); loadQa(); }, function () {});
        } }, ['Answer'])
    ]);
  }

  function loadQuestions() {
    api('/api/v1/questions').then(function (j) {
      var box = j.view === 'queue' ? $('c-queue') : $('c-questions');
      clear(box);
      if (!j.questions.length)
        box.appendChild(h('p', { 'class': 'kf-muted', text: j.view === 'queue' ? 'The queue is empty.'
                                                                                 : 'No question yet.' }));
      j.questions.forEach(function (q) { box.appendChild(j.view === 'queue' ? queueNode(q) : questionNode(q)); });
      $('c-q-title').hidden = $('c-questions').hidden = j.view === 'queue';
    }, function () {});
  }

  function loadQa() {
    KF.dom.api('/api/v1/qa').then(function (j) {
      var box = $('c-qa');
      clear(box);
      if (!j.qa.length) box.appendChild(h('p', { 'class': 'kf-muted', text: 'No published answers yet.' }));
      j.qa.forEach(function (x) {
        box.appendChild(h('article', { 'class': 'kf-card', 'data-kf': 'qa-item' }, [
          h('p', { 'class': 'kf-quote' }, [h('strong', { text: x.first_name + ': ' }), x.question]),
          h('div', {}, x.answer.split(/\n\s*\n/).map(function (p) { return h('p', { text: p }); }))
        ]));
      });
    }, function () {});
  }

  /* ---- your data ---- */

  $('c-export').addEventListener('click', function () {
    api('/api/v1/account/export').then(function (j) {
      var blob = new Blob([JSON.stringify(j, null, 2)], { type: 'application/json' });
      var a = h('a', { href: URL.createObjectURL(blob), download: 'knotfinder-export.json' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      say('Your data was downloaded.');
    }, function () {});
  });

  $('c-delete').addEventListener('click', function () {
    if (!window.confirm('Delete your account and everything in it (consultations, check-ins, questions, ' +
                        'lessons)? This cannot be undone.')) return;
    api('/api/v1/account', undefined, 'DELETE').then(function () {
      KF.dom.setCsrf('');
      me = null;
      say('Your account and everything in it were deleted.');
      show();
    }, function () {});
  });

  /* ---- start ---- */

  fetch('/api/v1/session', { credentials: 'same-origin' }).then(function (res) {
    if (res.status === 404) {                        /* the local mode */
      $('local-mode').hidden = false;
      $('c-qa-title').parentNode.hidden = true;
      return;
    }
    if (res.status === 200) return res.json().then(signedIn);
    KF.dom.setCsrf('');
    show();
  }, function () { showError('Could not reach the server.'); }).then(function () {
    document.body.setAttribute('data-ready', 'true');   /* for tests */
  });
})();
