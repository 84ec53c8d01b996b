/*
 * course.js — the hosted course's page (course.html): signing up and in,
 * the lessons with "your next lesson", asking the therapist, the
 * therapist's queue of drafted answers, the public Q&A and the account
 * (export, delete).  It speaks the API of docs/API.md ("Hosted course"):
 * the session lives in an HttpOnly cookie this script never sees; every
 * state-changing request carries the session's CSRF token, which the
 * server gives at sign-in and on GET /api/v1/session.
 */
(function () {
  'use strict';
  var KF = window.KF || {};
  var h = KF.dom.h, clear = KF.dom.clear;
  var me = null;            /* {email, role} when signed in */
  var csrf = '';

  function $(id) { return document.getElementById(id); }

  /* One request: JSON in and out, the CSRF token on anything but GET. */
  function call(method, path, body) {
    var init = { method: method, headers: {}, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (method !== 'GET' && csrf) init.headers['X-CSRF-Token'] = csrf;
    return fetch(path, init).then(function (res) {
      return res.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (!res.ok) {
          var err = new Error(res.status === 413 ? 'that is too long to send: the server takes at most 64 KB ' +
                                '(about 10,000 words); shorten it and send it again'
                              : data && data.error && data.error.message ? String(data.error.message)
                              : res.status >= 500 ? 'the server is not answering properly just now (' + res.status +
                                '); what you typed is still here: try again in a moment'
                              : 'the server answered ' + res.status);
          err.status = res.status;
          err.code = data && data.error ? data.error.code : '';
          throw err;
        }
        if (res.status !== 204 && data === null) {
          var bad = new Error('the server sent an answer this page could not read; what you typed is ' +
                              'still here: try again in a moment');
          bad.status = res.status;
          throw bad;
        }
        return data;
      });
    }, function () {
      var err = new Error('could not reach the server; check your connection and try again (what you typed ' +
                          'is still here)');
      err.status = 0;
      throw err;
    });
  }

  function status(msg) { $('status').textContent = msg || ''; }
  /* An error goes next to the control that caused it (`near`, when given)
   * so that it is seen where the person is looking, else at the top. */
  function showError(e, near) {
    var box = $('error');
    Array.prototype.forEach.call(document.querySelectorAll('.kf-field-error'), function (x) {
      x.parentNode.removeChild(x);
    });
    if (!e) { box.hidden = true; box.textContent = ''; return; }
    var msg = e.status === 429 ? 'Too many attempts for now: please wait a few minutes and try again.'
            : KF.dom.sentence(e.message || String(e)).replace(/([^.!?])$/, '$1.');
    box.textContent = msg;
    if (near && near.parentNode) {
      var at = h('p', { class: 'kf-error kf-field-error', role: 'alert', text: msg });
      near.parentNode.insertBefore(at, near.nextSibling);
      box.hidden = true;                 /* kept for tests and screen readers' history */
      at.scrollIntoView({ block: 'nearest' });
      return;
    }
    box.hidden = false;
    box.scrollIntoView({ block: 'nearest' });
  }

  function list(data, key) {
    if (Array.isArray(data)) return data;
    return data && Array.isArray(data[key]) ? data[key] : [];
  }

  function paragraphs(text) {
    var out = [];
    String(text || '').split(/\n\s*\n/).forEach(function (p) {
      p = p.trim();
      if (p) out.push(h('p', { text: p }));
    });
    return out;
  }

  function when(at) {
    if (!at) return '';
    var d = new Date(at);
    return isNaN(d) ? String(at) : d.toLocaleDateString();
  }

  /* ---- views ---- */

  var VIEWS = ['signin', 'lessons', 'lesson', 'ask', 'queue', 'qa', 'account'];
  function show(view) {
    VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== view; });
    document.body.setAttribute('data-view', view);
    if (view !== 'ask') { clear($('ask-warning')); $('ask-warning').hidden = true; }
    var nav = document.querySelectorAll('#c-nav a[data-need]');
    for (var i = 0; i < nav.length; i++) {
      var need = nav[i].getAttribute('data-need');
      nav[i].hidden = need === 'therapist' ? !(me && me.role === 'therapist') : !me;
    }
    /* The page one is on, said and shown in the header. */
    var here = view === 'lesson' ? 'lessons' : view;
    Array.prototype.forEach.call(document.querySelectorAll('#c-nav a'), function (a) {
      if (a.getAttribute('href') === '#' + here) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    var t = $('view-' + view).querySelector('h1');
    if (t) t.focus();
  }

  function route() {
    showError(null);
    status('');
    var hash = (location.hash || '').replace(/^#/, '');
    var m = /^lesson\/(.+)$/.exec(hash);
    if (hash === 'qa') return viewQA();
    if (!me) return show('signin');
    if (m) return viewLesson(decodeURIComponent(m[1]));
    if (hash === 'ask') return viewAsk();
    if (hash === 'queue' && me.role === 'therapist') return viewQueue();
    if (hash === 'account') return viewAccount();
    return viewLessons();
  }

  /* ---- signing in ---- */

  function signedIn(data) {
    csrf = data && data.csrf ? String(data.csrf) : '';
    var u = data && data.user ? data.user : data || {};
    me = { email: u.email || '', role: u.role || 'user' };
  }

  $('signin-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    showError(null);
    var email = $('si-email').value.trim(), pw = $('si-password').value;
    if (!email || !pw) return showError(new Error('Give your email and your password.'));
    call('POST', '/api/v1/session', { email: email, password: pw }).then(function (d) {
      $('si-password').value = '';
      signedIn(d);
      return refreshMe();
    }).then(function () {
      location.hash = '#lessons';
      route();
    }, showError);
  });

  $('signup-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    showError(null);
    var email = $('su-email').value.trim(), pw = $('su-password').value;
    if (!email) return showError(new Error('Give your email address.'));
    if (Array.from(pw).length < 12)
      return showError(new Error('The password needs at least 12 characters.'));
    if (!$('su-consent').checked)
      return showError(new Error('The course keeps what you tell it about your health; it needs your consent to do that.'));
    call('POST', '/api/v1/account', { email: email, password: pw, consent: true }).then(function () {
      return call('POST', '/api/v1/session', { email: email, password: pw });
    }).then(function (d) {
      $('su-password').value = '';
      signedIn(d);
      return refreshMe();
    }).then(function () {
      status('Your account is ready.');
      location.hash = '#lessons';
      route();
    }, showError);
  });

  function refreshMe() {
    return call('GET', '/api/v1/session').then(function (d) {
      var keep = csrf;
      signedIn(d);
      if (!csrf) csrf = keep;
    }, function (e) {
      if (e.status === 401 || e.status === 404) { me = null; csrf = ''; return; }
      throw e;
    });
  }

  /* ---- lessons ---- */

  var lessons = {};            /* id -> lesson, from the last list */

  function viewLessons() {
    show('lessons');
    status('Loading your lessons…');
    call('GET', '/api/v1/lessons').then(function (d) {
      status('');
      var next = $('l-next'), box = $('l-list');
      clear(next); clear(box);
      lessons = {};
      var mods = list(d, 'modules');
      mods.forEach(function (mod) {
        var ls = list(mod, 'lessons');
        var ol = h('ol', { class: 'kf-lessons' });
        ls.forEach(function (l) {
          lessons[l.id] = l;
          ol.appendChild(h('li', { class: l.done ? 'kf-done' : '' }, [
            h('a', { href: '#lesson/' + encodeURIComponent(l.id), text: l.title || l.id }),
            l.done ? h('span', { class: 'kf-muted', text: ' — done' }) : null
          ]));
        });
        box.appendChild(h('section', { class: 'kf-card' }, [
          h('h2', { text: mod.title || mod.id }), ol]));
      });
      var n = d && d.next;
      if (n && n.id) {
        next.appendChild(h('div', { class: 'kf-card kf-next' }, [
          h('h2', { text: 'Your next lesson' }),
          h('p', {}, [h('a', { href: '#lesson/' + encodeURIComponent(n.id),
                               text: n.title || (lessons[n.id] && lessons[n.id].title) || n.id })]),
          n.why ? h('p', { class: 'kf-muted', text: KF.dom.sentence(n.why) }) : null
        ]));
      } else if (mods.length) {
        next.appendChild(h('p', { class: 'kf-muted', text: 'You have done every lesson.' }));
      }
    }, showError);
  }

  function viewLesson(id) {
    show('lesson');
    var l = lessons[id];
    function draw(l) {
      $('lesson-title').textContent = l.title || id;
      var body = $('lesson-body');
      clear(body);
      (Array.isArray(l.paragraphs) ? l.paragraphs.map(function (p) { return h('p', { text: p }); })
                                   : paragraphs(l.body || l.text)).forEach(function (p) { body.appendChild(p); });
      $('lesson-done').hidden = !!l.done;
      $('lesson-done').onclick = function () {
        call('POST', '/api/v1/lessons/' + encodeURIComponent(id) + '/done', {}).then(function () {
          l.done = true;
          status('Marked as done.');
          location.hash = '#lessons';
        }, showError);
      };
    }
    if (l && (l.body || l.paragraphs || l.text)) return draw(l);
    call('GET', '/api/v1/lessons/' + encodeURIComponent(id)).then(function (d) {
      draw(d && d.lesson ? d.lesson : d || {});
    }, function (e) {
      if (l) return draw(l);
      showError(e);
    });
  }

  /* ---- asking ---- */

  /* A question that reads as a warning sign (the server's triage of it):
   * what to do now, before any answer.  Nothing below doctor_soon. */
  function warningBox(level) {
    if (level !== 'emergency' && level !== 'doctor_soon') return null;
    var now = level === 'emergency';
    return h('div', { class: 'kf-banner kf-level-' + level, role: 'alert', 'data-kf': 'question-warning',
                      'data-level': level }, [
      h('p', { class: 'kf-banner-title', text: now ? 'Call emergency services now' : 'See a doctor in the next few days' }),
      h('p', { text: now ? 'What you wrote can be a sign of something that needs help now: do not wait for the ' +
                           "therapist's answer, and do not drive yourself."
                         : 'What you wrote can be a sign of something a doctor should look at: please see one soon. ' +
                           'The therapist will still answer here.' }),
      now ? KF.dom.callBox() : null
    ]);
  }

  function questionCard(q, asTherapist) {
    var kids = [
      h('p', { class: 'kf-muted', text: (q.first_name ? q.first_name + ', ' : '') + when(q.at || q.created_at) +
              (q.triage && q.triage !== 'self_care' && q.triage !== 'none'
                 ? ' — warning signs: ' + KF.dom.words(q.triage) : '') }),
      h('blockquote', { class: 'kf-quote' }, paragraphs(q.text))
    ];
    if (!asTherapist) {
      var warn = q.answer ? null : warningBox(q.triage);
      if (warn) kids.unshift(warn);
      if (q.answer) kids.push(h('h3', { text: 'The answer' }), h('div', {}, paragraphs(q.answer)));
      else kids.push(h('p', { class: 'kf-muted', text: 'Waiting for the therapist.' }));
      return h('article', { class: 'kf-card' + (q.red_flag ? ' kf-flagged' : '') }, kids);
    }
    var ta = h('textarea', { rows: '12', 'aria-label': 'Answer to this question' });
    ta.value = q.answer || q.draft || '';
    var btn = h('button', { type: 'button', class: 'kf-btn kf-primary', text: 'Publish this answer' });
    btn.addEventListener('click', function () {
      var text = ta.value.trim();
      if (!text) return showError(new Error('The answer is empty.'));
      btn.disabled = true;
      call('POST', '/api/v1/questions/' + encodeURIComponent(q.id) + '/answer', { text: text }).then(function () {
        status('Published.');
        viewQueue();
      }, function (e) { btn.disabled = false; showError(e); });
    });
    kids.push(h('label', { class: 'kf-label', text: 'Draft (edit before publishing)' }), ta,
              h('div', { class: 'kf-actions' }, [btn]));
    return h('article', { class: 'kf-card' + (q.red_flag || (q.triage && /emergency|doctor/.test(q.triage))
                                              ? ' kf-flagged' : '') }, kids);
  }

  function viewAsk() {
    show('ask');
    var box = $('ask-list');
    clear(box);
    call('GET', '/api/v1/questions').then(function (d) {
      var qs = list(d, 'questions');
      if (!qs.length) box.appendChild(h('p', { class: 'kf-muted', text: 'You have not asked anything yet.' }));
      qs.forEach(function (q) { box.appendChild(questionCard(q, false)); });
    }, showError);
  }

  $('ask-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    showError(null);
    var text = $('ask-text').value.trim();
    if (!text) return showError(new Error('Write your question first.'));
    var body = { text: text, attach: $('ask-attach').checked, public: $('ask-public').checked };
    var name = $('ask-name').value.trim();
    if (name) body.first_name = name;
    var hp = $('ask-website').value;
    if (hp) body.website = hp;
    $('ask-go').disabled = true;
    call('POST', '/api/v1/questions', body).then(function (d) {
      $('ask-go').disabled = false;
      $('ask-text').value = '';
      status('Sent. The therapist will answer here.');
      viewAsk();
      /* A warning sign comes first: above the form, where the person is. */
      var warn = warningBox(d && d.triage), top = $('ask-warning');
      clear(top);
      if (warn) {
        top.appendChild(warn);
        top.hidden = false;
        top.scrollIntoView({ block: 'start' });
        var call = top.querySelector('[data-kf="emergency-call"]');
        if (call) call.focus();
      } else top.hidden = true;
    }, function (e) { $('ask-go').disabled = false; showError(e, $('ask-go').parentNode); });
  });

  /* ---- the therapist's queue ---- */

  function viewQueue() {
    show('queue');
    var box = $('queue-list');
    clear(box);
    call('GET', '/api/v1/questions').then(function (d) {
      var qs = list(d, 'questions').filter(function (q) { return !q.answered_at && !q.published; });
      if (!qs.length) box.appendChild(h('p', { class: 'kf-muted', text: 'Nothing is waiting.' }));
      qs.forEach(function (q) { box.appendChild(questionCard(q, true)); });
    }, showError);
  }

  /* ---- public Q&A ---- */

  function viewQA() {
    show('qa');
    var box = $('qa-list');
    clear(box);
    call('GET', '/api/v1/qa').then(function (d) {
      var qs = list(d, 'qa');
      if (!qs.length) box.appendChild(h('p', { class: 'kf-muted', text: 'No answers are published yet.' }));
      qs.forEach(function (q) {
        box.appendChild(h('article', { class: 'kf-card' }, [
          h('h2', { text: (q.first_name || 'A reader') + ' asked' }),
          h('blockquote', { class: 'kf-quote' }, paragraphs(q.question || q.text)),
          h('h3', { text: 'The therapist answered' }),
          h('div', {}, paragraphs(q.answer))
        ]));
      });
    }, showError);
  }

  /* ---- account ---- */

  function viewAccount() {
    show('account');
    $('acct-who').textContent = 'Signed in as ' + me.email + (me.role === 'therapist' ? ' (therapist)' : '') + '.';
  }

  $('acct-export').addEventListener('click', function () {
    call('GET', '/api/v1/account/export').then(function (d) {
      var blob = new Blob([JSON.stringify(d, null, 2)], { type: 'application/json' });
      var a = h('a', { href: URL.createObjectURL(blob), download: 'knotfinder-account.json' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      status('Your data was downloaded.');
    }, showError);
  });

  $('acct-signout').addEventListener('click', function () {
    call('DELETE', '/api/v1/session').then(null, function () { /* gone already */ }).then(function () {
      me = null; csrf = '';
      location.hash = '';
      route();
    });
  });

  $('pw-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    showError(null);
    var cur = $('pw-current').value, pw = $('pw-new').value;
    var near = $('pw-go').parentNode;
    if (!cur) { $('pw-current').focus(); return showError(new Error('Give your current password.'), near); }
    if (Array.from(pw).length < 12) {
      $('pw-new').focus();
      return showError(new Error('The new password needs at least 12 characters.'), near);
    }
    $('pw-go').disabled = true;
    call('POST', '/api/v1/account/password', { current_password: cur, new_password: pw }).then(function (d) {
      $('pw-go').disabled = false;
      $('pw-current').value = '';
      $('pw-new').value = '';
      signedIn(d);                       /* a new session: its CSRF token */
      var n = d && d.signed_out_elsewhere;
      var msg = 'Your password was changed.' + (n ? ' ' + n + ' other session' + (n === 1 ? ' was' : 's were') +
                ' signed out.' : '');
      status(msg);
      var ok = h('p', { class: 'kf-ok-note kf-field-error', role: 'status', 'data-kf': 'password-changed', text: msg });
      near.parentNode.insertBefore(ok, near.nextSibling);
    }, function (e) {
      $('pw-go').disabled = false;
      if (e.code === 'wrong_password') $('pw-current').focus();
      else if (e.code === 'weak_password') $('pw-new').focus();
      showError(e, near);
    });
  });

  $('del-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    showError(null);
    var pw = $('del-password').value, near = $('acct-delete').parentNode;
    if (!pw) {
      $('del-password').focus();
      return showError(new Error('Give your password to confirm.'), near);
    }
    if (!window.confirm('Delete your account and everything in it, for good?')) return;
    $('acct-delete').disabled = true;
    call('DELETE', '/api/v1/account', { password: pw }).then(function () {
      $('acct-delete').disabled = false;
      $('del-password').value = '';
      me = null; csrf = '';
      location.hash = '';
      route();
      status('Your account and everything in it were deleted.');
    }, function (e) {
      $('acct-delete').disabled = false;
      if (e.code === 'wrong_password') $('del-password').focus();
      showError(e, near);
    });
  });

  window.addEventListener('hashchange', route);
  refreshMe().then(route, function (e) { showError(e); route(); });
})();
