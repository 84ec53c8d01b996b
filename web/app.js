/*
 * app.js — the knotfinder web page: where it hurts (body map and own
 * words), the interview one question at a time, the result ("Do this
 * first", then the picture of pain and cause, then everything else folded),
 * and a page to print for a massage therapist.
 *
 * The page decides nothing about bodies: every judgement comes from the
 * JSON API (docs/API.md).  The interview is stateless on the server, so the
 * page keeps the findings so far and sends them with every answer.  Each
 * view has its own address (#question, #result, #print), and what the page
 * holds is kept in sessionStorage, so a reload or Back finds it again.
 */
(function () {
  'use strict';
  var KF = window.KF = window.KF || {};
  var $ = function (id) { return document.getElementById(id); };

  var state = {
    regions: [],          /* from GET /api/v1/regions */
    regionById: {},
    findings: [],         /* the merged findings list the server gave back */
    asked: 0,
    hand: '',
    text: '',             /* the words of the start page */
    question: null,
    result: null,
    story: null,          /* what the picture shows: see story() */
    answered: 0,          /* questions answered in this visit */
    screenItems: null,    /* the warning-sign screen, once the server asked it */
    screened: false,      /* the screen was answered */
    skipped: false        /* the questions were skipped */
  };
  var startPicker = null;
  var rendered = null;    /* the result object the result view shows */

  /* ---- small helpers ------------------------------------------------------ */

  var h = KF.dom.h, words = KF.dom.words, sentence = KF.dom.sentence,
      clear = KF.dom.clear, sideText = KF.dom.sideText;
  function regionLabel(id) { return state.regionById[id] ? state.regionById[id].label : words(id); }
  function findingOfRegion(r) { return r.finding || 'pain_' + r.id; }
  function lowerFirst(t) { t = String(t || ''); return t.charAt(0).toLowerCase() + t.slice(1); }
  function firstSentence(t) {
    var m = /^(.*?[.!?])(\s|$)/.exec(String(t || ''));
    return m ? m[1] : String(t || '');
  }

  function say(msg) { $('status').textContent = msg || ''; }
  /* An error goes next to the control that caused it (`near`), or at the
   * top of the page when nothing in particular caused it. */
  function showError(msg, near) {
    Array.prototype.forEach.call(document.querySelectorAll('.kf-field-error'), function (e) {
      e.parentNode.removeChild(e);
    });
    var e = $('error');
    if (!msg) { e.hidden = true; e.textContent = ''; return; }
    if (near) {
      var box = h('p', { 'class': 'kf-error kf-field-error', role: 'alert', text: msg });
      near.parentNode.insertBefore(box, near.nextSibling);
      e.hidden = true;
      e.textContent = msg;          /* kept for tests and screen readers' history */
      box.scrollIntoView({ block: 'nearest' });
      return;
    }
    e.textContent = msg;
    e.hidden = false;
    e.scrollIntoView({ block: 'nearest' });
  }

  /* POST or GET JSON; throws an Error whose message is fit to show. */
  function api(path, body) {
    return KF.dom.api(path, body).catch(function (err) {
      var kept = ' What you typed is still here.';
      err.message = err.kind === 'server' && err.serverSaid ? 'The server said: ' + err.message
                  : err.kind === 'server' ? sentence(err.message) + '.' + (err.status >= 500 ? kept : '')
                  : err.kind === 'unreadable' ? 'The server sent an answer this page could not read; try again.' + kept
                  : 'Could not reach the knotfinder server. Is it still running?' + kept;
      throw err;
    });
  }

  var busy = false;
  function withBusy(p, near) {
    busy = true;
    document.body.setAttribute('aria-busy', 'true');
    say('Thinking…');
    showError('');
    return p.then(function (x) { busy = false; document.body.removeAttribute('aria-busy'); say(''); return x; },
      function (e) {
        busy = false;
        document.body.removeAttribute('aria-busy');
        say('');
        showError(e.message, near);
        throw e;
      });
  }

  /* ---- what survives a reload -------------------------------------------- */

  var STORE = 'knotfinder.page.v1';
  var KEPT = ['findings', 'asked', 'hand', 'text', 'question', 'result', 'answered',
              'screenItems', 'screened', 'skipped'];
  function save() {
    var o = {};
    KEPT.forEach(function (k) { o[k] = state[k]; });
    try { sessionStorage.setItem(STORE, JSON.stringify(o)); } catch (e) { /* private mode: no memory */ }
  }
  function load() {
    var o = null;
    try { o = JSON.parse(sessionStorage.getItem(STORE) || 'null'); } catch (e) { o = null; }
    if (!o || typeof o !== 'object') return;
    if (Array.isArray(o.findings)) state.findings = o.findings;
    if (typeof o.asked === 'number') state.asked = o.asked;
    if (typeof o.answered === 'number') state.answered = o.answered;
    if (typeof o.hand === 'string') state.hand = o.hand;
    if (typeof o.text === 'string') state.text = o.text;
    if (o.question && typeof o.question === 'object') state.question = o.question;
    if (o.result && typeof o.result === 'object') state.result = o.result;
    if (Array.isArray(o.screenItems)) state.screenItems = o.screenItems;
    state.screened = !!o.screened;
    state.skipped = !!o.skipped;
  }

  /* ---- views and their addresses ------------------------------------------ */

  var VIEWS = ['start', 'question', 'result', 'print', 'journal'];   /* journal: journal.js */
  function show(name, focusId, quiet) {
    VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== name; });
    document.body.setAttribute('data-view', name);
    if (quiet) return;
    var f = $(focusId || (name === 'start' ? 'start-title' : name === 'question' ? 'q-title' :
                          name === 'result' ? 'result-title' : name === 'journal' ? 'journal-title' : 'print-title'));
    if (f) f.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  /* The address of a view: the start page has none of its own. */
  function nav(view, replace) {
    var want = view === 'start' ? '' : '#' + view;
    if (location.hash === want) return;
    var url = location.pathname + location.search + want;
    if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  }
  /* Shows the view the address names, when the page has what it needs. */
  function route() {
    var hs = location.hash;
    if (hs === '#journal') return;                      /* journal.js */
    if (hs === '#print' && state.result) {
      renderPrint(state.result);
      show('print');
    } else if (hs === '#result' && state.result) {
      if (rendered !== state.result) renderResult(state.result);
      show('result', resultFocus(state.result));
    } else if (hs === '#question' && state.question) {
      showQuestion(state.question, null, true);
    } else if (!hs && document.body.getAttribute('data-view') === 'journal') {
      return;                                           /* journal.js goes back */
    } else {
      if (hs) history.replaceState(null, '', location.pathname + location.search);
      show('start', null, document.body.getAttribute('data-view') === 'start');
    }
  }

  /* Merge answers into the findings so far: a new answer replaces an
   * earlier entry for the same finding. */
  function merge(list, add) {
    var out = list.slice();
    add.forEach(function (a) {
      var i = -1;
      out.forEach(function (x, k) { if (x.id === a.id) i = k; });
      if (i >= 0) out[i] = a; else out.push(a);
    });
    return out;
  }
  function finding(id, st, side) {
    var f = { id: id, state: st };
    if (side) f.side = side;
    return f;
  }
  function request(extra) {
    var body = { findings: state.findings, asked: state.asked };
    if (state.hand) body.dominant_hand = state.hand;
    var keep = $('keep');
    if (keep && !keep.checked) body.save = false;
    for (var k in extra) body[k] = extra[k];
    return body;
  }

  /* The consult endpoint takes the same body less the interview's count. */
  function consultBody() {
    var b = request({});
    delete b.asked;
    return b;
  }

  /* ---- 1. start ---------------------------------------------------------- */

  function painFindings(sel) {
    return sel.map(function (s) {
      var r = state.regionById[s.id];
      return finding(r ? findingOfRegion(r) : 'pain_' + s.id, 'present', s.side);
    });
  }

  function start() {
    var form = $('start-form');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (busy) return;
      var text = $('words').value.trim();
      var pain = startPicker ? painFindings(startPicker.get()) : [];
      if (!text && !pain.length) {
        showError('Mark where it hurts on the body, or describe it in your own words.', $('hand').parentNode);
        $('words').focus();
        return;
      }
      state.hand = $('hand').value;
      state.text = text;
      state.findings = pain;
      state.asked = 0;
      state.answered = 0;
      state.screened = false;
      state.skipped = false;
      state.screenItems = null;
      var body = request({});
      if (text) body.text = text;
      withBusy(api('/api/v1/interview', body), $('start-go').parentNode).then(onInterview, function () {});
    });
    $('start-clear').addEventListener('click', function () {
      if (startPicker) startPicker.clear();
      $('words').value = '';
      showError('');
    });
    $('q-restart').addEventListener('click', restart);
    $('r-restart').addEventListener('click', restart);
    $('q-skip').addEventListener('click', function () {
      if (busy) return;
      if (!state.screened) state.skipped = true;
      withBusy(api('/api/v1/consult', consultBody()), $('q-skip').parentNode).then(showResult, function () {});
    });
    $('q-words-go').addEventListener('click', sendWords);
    $('q-words').addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter') { ev.preventDefault(); sendWords(); }
    });
    $('q-form').addEventListener('submit', function (ev) { ev.preventDefault(); });
    $('r-print').addEventListener('click', function () { printFromResult = true; nav('print'); route(); });
    /* Back to the result: the browser's own Back when the print page was
     * opened from it, so the history does not grow a loop. */
    $('p-back').addEventListener('click', function () {
      if (printFromResult) { printFromResult = false; history.back(); }
      else { nav('result', true); route(); }
    });
    $('p-print').addEventListener('click', function () { window.print(); });
    window.addEventListener('hashchange', function () {
      if (location.hash !== '#print') printFromResult = false;
      route();
    });
  }
  var printFromResult = false;   /* #print was pushed from #result in this visit */

  function restart() {
    KF.Timer.stopAll();
    state.question = null;
    state.findings = [];
    state.asked = 0;
    showError('');
    if (startPicker) startPicker.clear();
    $('words').value = '';
    state.text = '';
    save();
    nav('start');
    show('start');
  }

  /* ---- 2. the interview -------------------------------------------------- */

  function onInterview(resp) {
    if (resp.findings) state.findings = resp.findings;
    if (typeof resp.asked === 'number') state.asked = resp.asked;
    /* A warning that needs help now stops the questions. */
    var urgent = resp.result && resp.result.triage && resp.result.triage.level === 'emergency';
    if (resp.question && !urgent) return showQuestion(resp.question, resp.result);
    if (resp.result) {
      /* The interview says beside the result whether it was kept. */
      if ('saved' in resp) { resp.result.saved = resp.saved; resp.result.not_saved = resp.not_saved || null; }
      return showResult(resp.result);
    }
    return withBusy(api('/api/v1/consult', consultBody())).then(showResult, function () {});
  }

  /* Sends an answer.  The findings so far change only when the server has
   * taken it, so a failed request can simply be tried again. */
  function answer(add, near, screen) {
    if (busy) return;
    send(request({ findings: merge(state.findings, add) }), near, screen);
  }
  function send(body, near, screen) {
    withBusy(api('/api/v1/interview', body), near).then(function (resp) {
      state.findings = body.findings;
      state.answered++;
      if (screen) { state.screened = true; state.skipped = false; }
      onInterview(resp);
    }, function () {});
  }

  function sendWords() {
    var w = $('q-words').value.trim();
    if (!w) { showError('Write a few words first, or use the buttons above.', $('q-words').parentNode); $('q-words').focus(); return; }
    if (busy) return;
    send(request({ text: w }), $('q-words').parentNode);
  }

  function choiceButtons(list) {
    return h('div', { 'class': 'kf-choices' }, list.map(function (c) {
      return h('button', { type: 'button', 'class': 'kf-btn kf-choice' + (c.primary ? ' kf-primary' : ''),
                           'data-answer': c.value, onclick: c.go, text: c.label });
    }));
  }

  /* The warning-sign screen as ticks and a button; `done` sends the answer. */
  function screenForm(items, idPrefix, done) {
    var fs = h('fieldset', { 'class': 'kf-screen' }, [h('legend', { text: 'Tick every one that applies now.' })]);
    var boxes = items.map(function (it, i) {
      var cb = h('input', { type: 'checkbox', id: idPrefix + i, 'data-finding': it.finding });
      fs.appendChild(h('div', { 'class': 'kf-check' }, [cb, h('label', { 'for': idPrefix + i, text: sentence(it.label || it.text) })]));
      return cb;
    });
    var wrap = h('div', { 'class': 'kf-screen-wrap' }, [fs]);
    var row;
    var go = function () {
      /* A line may hold one warning sign said two ways (it.also): a tick is
       * yes to the first and "not sure" to the others, no tick no to all. */
      var list = [];
      items.forEach(function (it, i) {
        list.push(finding(it.finding, boxes[i].checked ? 'present' : 'absent'));
        (Array.isArray(it.also) ? it.also : []).forEach(function (id) {
          list.push(finding(id, boxes[i].checked ? 'unsure' : 'absent'));
        });
      });
      done(list, row);
    };
    row = choiceButtons([
      { label: 'None of these', value: 'none', go: function () { boxes.forEach(function (b) { b.checked = false; }); go(); } },
      { label: 'Continue with the ticked ones', value: 'ticked', primary: true, go: go }
    ]);
    wrap.appendChild(row);
    return wrap;
  }

  function showQuestion(q, partial, fromRoute) {
    KF.Timer.stopAll();
    state.question = q;
    if (!fromRoute) { nav('question', document.body.getAttribute('data-view') === 'question'); save(); }
    $('q-count').textContent = 'Question ' + (state.answered + 1);
    $('q-title').textContent = q.text || 'One more question';
    $('q-words').value = '';
    var body = $('q-body');
    clear(body);
    body.setAttribute('data-kind', q.kind);
    if (partial && partial.triage && partial.triage.level !== 'self_care') body.appendChild(banner(partial.triage, true));

    if (q.kind === 'finding') {
      var row = choiceButtons([
        { label: 'Yes', value: 'yes', go: function () { answer([finding(q.finding, 'present')], row); } },
        { label: 'No', value: 'no', go: function () { answer([finding(q.finding, 'absent')], row); } },
        { label: 'Not sure', value: 'unsure', go: function () { answer([finding(q.finding, 'unsure')], row); } }
      ]);
      body.appendChild(row);
    } else if (q.kind === 'screen') {
      state.screenItems = q.items || [];
      body.appendChild(screenForm(state.screenItems, 'scr-', function (list, near) { answer(list, near, true); }));
    } else if (q.kind === 'clarify') {
      body.appendChild(clarifyButtons(q));
    } else if (q.kind === 'where') {
      var allowed = {};
      (q.regions || []).forEach(function (r) { allowed[r.id] = true; });
      var rs = state.regions.filter(function (r) { return !q.regions || !q.regions.length || allowed[r.id]; });
      var holder = h('div', { 'class': 'kf-where' });
      body.appendChild(holder);
      var pk = KF.BodyMap.picker({ container: holder, regions: rs });
      var wrow = choiceButtons([{ label: 'These are the spots', value: 'where', primary: true, go: function () {
        var sel = pk.get();
        if (!sel.length) { showError('Mark at least one spot, or answer in your own words below.', wrow); return; }
        answer(painFindings(sel), wrow);
      } }]);
      body.appendChild(wrow);
    } else {
      body.appendChild(h('p', { text: 'This page does not know how to ask that; answer in your own words below, or skip.' }));
    }
    show('question');
  }

  function clarifyButtons(q) {
    var opts = q.options && q.options.length ? q.options :
      [{ finding: q.finding, label: words(q.finding) }, { finding: q.alt, label: words(q.alt) }];
    /* The words that were ambiguous may have named a side: keep it. */
    var side = '';
    state.findings.forEach(function (f) { if ((f.id === q.finding || f.id === q.alt) && f.side) side = f.side; });
    var row = choiceButtons(opts.map(function (o) {
      return { label: sentence(o.label), value: o.finding, go: function () {
        answer(opts.map(function (x) {
          return x.finding === o.finding ? finding(x.finding, 'present', side) : finding(x.finding, 'absent');
        }), row);
      } };
    }).concat([{ label: 'Not sure', value: 'unsure', go: function () { answer([finding(q.finding, 'unsure')], row); } }]));
    return row;
  }

  /* ---- 3. the result ---------------------------------------------------- */

  var LEVEL = {
    emergency: { title: 'Call emergency services now',
                 lead: 'Do not wait to see whether it passes, and do not drive yourself.' },
    doctor_soon: { title: 'See a doctor in the next few days',
                   lead: 'Some of what you describe is not typical of a muscle knot.' },
    mention_to_doctor: { title: 'Self-care is fine — mention this to your doctor',
                         lead: 'Tell your doctor about it at your next visit.' },
    self_care: { title: 'No warning signs: self-care is fine', lead: '' },
    unknown: { title: 'I could not check you for warning signs', lead: '' }
  };

  /* The level the page shows.  A red flag always counts; reassurance only
   * when the words were understood and the warning-sign screen was not
   * skipped; a level this page does not know reads as "see a doctor". */
  function triageLevel(r) {
    var lv = r.triage && r.triage.level ? r.triage.level : 'unknown';
    if (lv === 'emergency' || lv === 'doctor_soon') return lv;
    if (!LEVEL[lv]) return 'doctor_soon';
    if (lv === 'unknown' || r.unrecognised || !(r.causes || []).length) return 'unknown';
    if (state.skipped && !state.screened) return 'unknown';
    return lv;
  }
  function resultFocus(r) {
    var lv = triageLevel(r);
    return lv === 'emergency' || lv === 'doctor_soon' || lv === 'unknown' ? 'banner-title' : 'result-title';
  }

  /* The title for a level, with the timing of the rule that fired when it is
   * sooner than the level's own words (triage.when: "today",
   * "today_or_tomorrow"): the title is never milder than the message. */
  function levelTitle(lv, t, title) {
    if (lv !== 'doctor_soon' || !t) return title;
    if (t.when === 'today' || t.when === 'now') return 'See a doctor today';
    if (t.when === 'today_or_tomorrow') return 'See a doctor today or tomorrow';
    return title;
  }

  /* The server's message under the title, without the title said again in
   * capitals ("SEE A DOCTOR in the next few days, before trying self-care
   * on this area." under "See a doctor in the next few days"): what is left
   * of it, as a sentence of its own; a message of other words as it is. */
  function bannerMessage(msg) {
    var m = /^SEE A DOCTOR\b[^,.]*,\s*(before\b.*)$/.exec(String(msg || ''));
    return m ? 'See the doctor ' + m[1] : msg;
  }

  /* The call button (dom.js: shared with the course page and the journal). */
  var callBox = KF.dom.callBox;

  /* The triage in one line.  Emergency: the call button and the server's
   * own warnings, nothing else; lower-level flags go below it (`rest`). */
  function banner(t, compact, r) {
    var lv = r ? triageLevel(r) : (LEVEL[t.level] ? t.level : 'doctor_soon');
    var L = LEVEL[lv];
    var urgent = lv === 'emergency' || lv === 'doctor_soon';
    var box = h('div', { 'class': 'kf-banner kf-level-' + lv, role: urgent ? 'alert' : null,
                         'data-level': lv, 'data-kf': compact ? null : 'triage',
                         'aria-labelledby': compact ? null : 'banner-title' }, [
      h(compact ? 'p' : 'h2', { 'class': 'kf-banner-title', id: compact ? null : 'banner-title',
                                 tabindex: compact ? null : '-1', text: levelTitle(lv, t, L.title) })
    ]);
    if (compact) {
      if (t.message) box.appendChild(h('p', { 'class': 'kf-banner-msg', text: lv === 'doctor_soon' ? bannerMessage(t.message) : t.message }));
      return box;
    }
    var flags = (t.flags || []).filter(function (f) { return f.message; });
    /* A cause that needs a doctor, likelier than the ones the rules name
     * (triage.also): said beside the rule's message, with its chance. */
    var also = null;
    if (t.also && r && r.causes) r.causes.forEach(function (c) { if (c.id === t.also) also = c; });
    function alsoLine() {
      if (!also) return null;
      var txt = 'Of the causes that need a doctor, what you describe fits ' + also.name +
        ' best (a rough weighting from your words, ' + (r.approximate ? 'about ' : '') +
        Math.round(100 * also.score) + '%, not a diagnosis): tell the doctor about it.';
      if (also.level === 'emergency')
        txt += ' If it comes on at rest, gets quickly worse, or comes with chest pressure, a sweat or sickness, call emergency services now.';
      return h('p', { 'class': 'kf-banner-msg', 'data-also': also.id, text: txt });
    }
    if (lv === 'emergency') {
      box.appendChild(callBox());
      /* The server's message repeats the title and the numbers of the call
       * box; the page says the rest of it once. */
      box.appendChild(h('p', { 'class': 'kf-banner-msg', text: L.lead }));
      var high = flags.filter(function (f) { return !f.level || f.level === 'emergency'; });
      if (high.length) box.appendChild(h('ul', { 'class': 'kf-flags' }, high.map(function (f) {
        return h('li', { 'data-flag': f.id, text: f.message });
      })));
      if (also) box.appendChild(alsoLine());
    } else if (lv === 'doctor_soon') {
      if (t.message) box.appendChild(h('p', { 'class': 'kf-banner-msg', text: bannerMessage(t.message) }));
      else box.appendChild(h('p', { text: L.lead }));
      if (flags.length) box.appendChild(h('ul', { 'class': 'kf-flags' }, flags.map(function (f) {
        return h('li', { 'data-flag': f.id, 'class': f.level && f.level !== lv ? 'kf-flag-lower' : null, text: f.message });
      })));
      if (also) box.appendChild(alsoLine());
    } else if (lv === 'unknown') {
      box.appendChild(h('p', { 'class': 'kf-banner-msg', text: r && (r.unrecognised || !(r.causes || []).length)
        ? 'I could not read where it hurts from what you wrote, so I cannot say whether self-care is safe. Answer the warning-sign questions below, and say where it hurts.'
        : 'You skipped the warning-sign questions, so I cannot say whether self-care is safe. Please answer them below.' }));
      /* The screen's questions (t.screen, or the interview's) follow as a
       * form to answer: see screenAgain. */
    } else if (flags.length) {
      /* Self-care levels: one line, the details a tap away. */
      box.appendChild(h('details', { 'class': 'kf-banner-more' }, [
        h('summary', { text: lv === 'mention_to_doctor' ? 'What to mention' : 'Why' }),
        h('ul', { 'class': 'kf-flags' }, flags.map(function (f) {
          return h('li', { 'data-flag': f.id, text: f.message });
        }))
      ]));
    }
    return box;
  }

  function causeById(r, id) {
    for (var i = 0; i < (r.causes || []).length; i++) if (r.causes[i].id === id) return r.causes[i];
    return null;
  }
  function causeName(r, id) {
    var c = causeById(r, id);
    if (c) return c.name;
    var m = (r.massage || []).filter(function (x) { return x.muscle === id; })[0];
    return m ? m.name : words(id);
  }

  function painSpots(r) {
    var out = [];
    (r.understood || []).forEach(function (u) {
      if (u.state !== 'present' || !/^pain_/.test(u.finding)) return;
      var id = u.finding.slice(5);
      if (state.regionById[id] || KF.BodyMap.isDrawn(id)) out.push({ id: id, side: u.side || '' });
    });
    if (!out.length) {
      (state.findings || []).forEach(function (f) {
        if (f.state === 'present' && /^pain_/.test(f.id)) out.push({ id: f.id.slice(5), side: f.side || '' });
      });
    }
    return out;
  }

  function regionMap() {
    var m = {};
    state.regions.forEach(function (r) { m[r.id] = { label: r.label, sided: !!r.sided }; });
    return m;
  }

  /* ---- the story the picture tells ---------------------------------------- */

  function sidesMeet(a, b) { return !a || !b || a === b || a === 'both' || b === 'both'; }
  /* The drawn places of a muscle that are not where it hurts. */
  function awayZones(where, side, pain) {
    return (where || []).filter(function (id) {
      return KF.BodyMap.isDrawn(id) && !pain.some(function (p) { return p.id === id && sidesMeet(p.side, side); });
    });
  }
  /* A cause's own link to a painful place: the strongest reason that
   * refers pain there or pulls on it, to a place that hurts and is not the
   * muscle's own. */
  function linkOf(c, pain, where) {
    var best = null;
    (c.reasons || []).forEach(function (x) {
      if (x.state !== 'present' || (x.mechanism !== 'refers' && x.mechanism !== 'pulls')) return;
      if (!/^pain_/.test(x.finding)) return;
      var id = x.finding.slice(5);
      var p = pain.filter(function (s) { return s.id === id; })[0];
      if (!p || !KF.BodyMap.isDrawn(id) || (where || []).indexOf(id) >= 0) return;
      if (!best || Number(x.weight) > Number(best.weight))
        best = { to: { id: id, side: p.side || c.side || '' }, mechanism: x.mechanism, why: x.why, weight: x.weight };
    });
    return best;
  }

  /*
   * What the picture shows by default: the cause that acts from elsewhere.
   * A leading habit: the muscles it keeps short that sit away from the
   * pain, the arrow along their pull (or the habit's).  A leading muscle
   * away from the pain: itself, along its own link.  Otherwise the first of
   * the top three causes that acts from elsewhere; and when none does, the
   * leading cause where it is ("right where it hurts").
   * Returns {muscles: [{id, name, where, side}], cause, habit, link} or null.
   */
  function story(r, only) {
    var causes = r.causes || [], pain = painSpots(r);
    var massage = r.massage || [];
    function placeOf(id) {
      var c = causeById(r, id);
      if (c && (c.where || []).length) return { id: id, name: c.name, where: c.where, side: c.side, cause: c };
      var m = massage.filter(function (x) { return x.muscle === id; })[0];
      return m && (m.where || []).length ? { id: id, name: m.name, where: m.where, side: m.side, cause: c } : null;
    }
    function fromHabit(hb) {
      var kept = [];
      (hb.keeps || []).forEach(function (id) { var p = placeOf(id); if (p) kept.push(p); });
      causes.forEach(function (c) {
        if (c.kept_by === hb.id && !kept.some(function (k) { return k.id === c.id; })) {
          var p = placeOf(c.id); if (p) kept.push(p);
        }
      });
      kept.forEach(function (k) { k.side = k.side || hb.side; k.away = awayZones(k.where, k.side, pain); });
      kept = kept.filter(function (k) { return k.away.length; });
      if (!kept.length) return null;
      /* Each muscle's link, or the habit's own pull on the painful place. */
      var hl = linkOf(hb, pain, []);
      kept.forEach(function (k) { k.link = k.cause ? linkOf(k.cause, pain, k.where) : null; });
      kept.sort(function (a, b) { return (b.link ? 1 : 0) - (a.link ? 1 : 0); });
      var link = kept[0].link || (hl && kept[0].where.indexOf(hl.to.id) < 0 ? hl : null);
      return { muscles: kept, cause: kept[0].id, habit: hb, link: link };
    }
    function fromMuscle(c) {
      var p = placeOf(c.id);
      if (!p || !awayZones(p.where, c.side, pain).length) return null;
      var link = linkOf(c, pain, p.where);
      if (!link && !pain.length) return null;
      var hb = c.kept_by ? causeById(r, c.kept_by) : null;
      return { muscles: [p], cause: c.id, habit: hb, link: link };
    }
    function tell(c) {
      if (!c) return null;
      if ((c.where || []).length) return fromMuscle(c);
      return fromHabit(c);
    }
    if (only) return tell(only) || local(only);
    /* The consultation's own sentence names a muscle: the picture shows
     * that one, so the words and the picture tell one story. */
    var named = namedMuscle(r);
    if (named) {
      var np = placeOf(named);
      if (np && np.where.some(function (id) { return KF.BodyMap.isDrawn(id); })) {
        var nc = causeById(r, named), t = String(r.cause_sentence).toLowerCase();
        var hb = causes.filter(function (c) {
          return ((c.keeps || []).indexOf(named) >= 0 || (nc && nc.kept_by === c.id)) &&
                 t.indexOf(shortName(c.name).toLowerCase()) >= 0;
        })[0] || (nc && nc.kept_by ? causeById(r, nc.kept_by) : null);
        np.side = np.side || (hb && hb.side) || '';
        var nl = (nc ? linkOf(nc, pain, np.where) : null) || (hb ? linkOf(hb, pain, np.where) : null);
        if (awayZones(np.where, np.side, pain).length || nl)
          return { muscles: [np], cause: named, habit: hb, link: nl };
        return { muscles: [np], cause: named, habit: null, link: null, local: true };
      }
    }
    function local(c) {
      var p = placeOf(c.id);
      if (!p || !p.where.some(function (id) { return KF.BodyMap.isDrawn(id); })) return null;
      return { muscles: [p], cause: c.id, habit: null, link: null, local: true };
    }
    var top = causes.slice(0, 3);
    for (var i = 0; i < top.length; i++) {
      var s = tell(top[i]);
      if (s && s.link) return s;
    }
    for (i = 0; i < causes.length; i++) {
      var l = local(causes[i]);
      if (l) return l;
    }
    return null;
  }

  /* A place as the object of a sentence: "the spot between the spine and
   * the shoulder blade", "the base of the skull". */
  function placeWords(id) {
    var l = regionLabel(id);
    return /^the /.test(l) ? l : 'the spot ' + l;
  }
  /* The muscle the consultation's cause_sentence names, if any: the one
   * whose name comes first in it. */
  function namedMuscle(r) {
    var t = typeof r.cause_sentence === 'string' ? r.cause_sentence.toLowerCase() : '';
    if (!t) return null;
    /* "It hurts <place> because <the cause>...": the place is not the cause. */
    var bc = t.indexOf(' because ');
    if (bc >= 0) t = t.slice(bc + 9);
    var best = null;
    var cands = (r.causes || []).filter(function (c) { return c.kind === 'muscle'; })
      .map(function (c) { return { id: c.id, name: c.name }; })
      .concat((r.massage || []).map(function (m) { return { id: m.muscle, name: m.name }; }));
    cands.forEach(function (c) {
      var names = [shortName(c.name)];
      var m = /\(([^)]*)\)/.exec(c.name || '');
      if (m && /^the /.test(m[1])) names.push(m[1].replace(/["“”]/g, ''));  /* a nickname, not a place */
      names.forEach(function (n) {
        n = n.toLowerCase().trim();
        if (n.length < 4) return;
        var at = t.indexOf(n);
        if (at >= 0 && (!best || at < best.at)) best = { id: c.id, at: at };
      });
    });
    return best ? best.id : null;
  }
  function shortName(name) { return String(name || '').replace(/\s*\(.*\)\s*$/, ''); }
  /* The everyday name: 'latissimus dorsi (the "lat")' -> 'the lat';
   * 'teres major (outer edge of the shoulder blade)' -> 'the teres major'. */
  function plainName(name, kind) {
    name = String(name || '');
    var m = /^(.*?)\s*\((the [^)]*)\)\s*$/.exec(name);
    if (m) return m[2].replace(/["“”]/g, '');
    var s = shortName(name);
    return kind === 'muscle' && !/^the /.test(s) ? 'the ' + s : s;
  }

  /* The picture's caption: one plain sentence. */
  function storyCaption(st, r) {
    if (!st) return '';
    var m = st.muscles[0];
    var name = sentence(plainName(m.name, 'muscle'));
    /* A cause other than the one the first screen names is said to be one too. */
    var lead = r && (r.causes || [])[0];
    if (lead && st.cause !== lead.id && !(st.habit && st.habit.id === lead.id) && namedMuscle(r) !== st.cause)
      name = 'Also likely: ' + plainName(m.name, 'muscle');
    if (st.local) return name + ' sits right where it hurts: the knot is in the muscle itself.';
    var kept = st.habit ? ', kept short by ' + lowerFirst(shortName(st.habit.name)) + ',' : '';
    if (!st.link) return name + kept + ' is marked in blue.';
    var to = placeWords(st.link.to.id);
    return st.link.mechanism === 'refers'
      ? name + kept + ' sends its pain to ' + to + ': the arrow shows where it is felt.'
      : name + kept + ' pulls on ' + to + ': the arrow shows the pull.';
  }

  /* The picture for a story, or, with massage = true, for every muscle on
   * the massage list at once. */
  function pictureBlock(r, st, massage) {
    var several = null;
    if (massage) {
      several = (r.massage || []).map(function (m, i) {
        var k = causeById(r, m.muscle);
        return { name: m.name, where: (m.where && m.where.length ? m.where : k ? k.where : []) || [],
                 side: m.side || (k && k.side) || '', label: i + 1 };
      });
    }
    var pain = painSpots(r);
    var svg = KF.BodyMap.picture({
      pain: pain, regions: regionMap(), causes: several || (st ? st.muscles.map(function (m) {
        return { name: m.name, where: m.where, side: m.side };
      }) : null),
      single: !massage && st ? st.muscles[0].name : null,
      link: !massage && st && st.link ? { from: st.muscles[0].where, fromSide: st.muscles[0].side, to: st.link.to } : null
    });
    var painId = st && st.link ? st.link.to.id : pain.length ? pain[0].id : '';
    var fig = h('figure', { 'class': 'kf-picture-fig', id: 'r-picture', 'data-kf': massage ? null : 'picture',
                            'data-cause': st ? st.cause : '', 'data-habit': st && st.habit ? st.habit.id : null,
                            'data-pain': painId });
    fig.appendChild(svg);
    var caption = massage ? 'The numbers match the table.' : storyCaption(st, r) || svg.kfSentence;
    fig.appendChild(h('figcaption', {}, [
      h('span', { 'class': 'kf-picture-words', text: caption }),
      h('span', { 'class': 'kf-legend' }, [
        h('span', {}, [h('span', { 'class': 'kf-swatch kf-swatch-pain', 'aria-hidden': 'true' }), ' it hurts here']),
        st || several ? h('span', {}, [h('span', { 'class': 'kf-swatch kf-swatch-cause', 'aria-hidden': 'true' }),
          several ? ' muscles to work on' : ' the cause']) : null,
        svg.kfHasArrow ? h('span', {}, [h('span', { 'class': 'kf-swatch kf-swatch-arrow', 'aria-hidden': 'true' }),
          st && st.link && st.link.mechanism === 'refers' ? ' sends pain to' : ' pulls on']) : null
      ])
    ]));
    return fig;
  }

  /* Width through the CSSOM (allowed under a strict Content-Security-Policy,
   * unlike a style attribute). */
  function meterFill(pct) {
    var f = h('span', { 'class': 'kf-meter-fill' });
    f.style.width = pct + '%';
    return f;
  }

  function showOnBody() {
    var pic = $('r-picture');
    if (!pic) return;
    pic.scrollIntoView({ block: 'start', behavior: 'auto' });
    pic.setAttribute('tabindex', '-1');
    pic.focus({ preventScroll: true });
  }

  function causeCard(r, c, i) {
    var pct = Math.round(Math.max(0, Math.min(1, Number(c.score) || 0)) * 100);
    var st = story(r, c);
    var reasons = (c.reasons || []).filter(function (x) { return x.why; });
    var li = h('li', { 'class': 'kf-cause', 'data-cause': c.id }, [
      h('div', { 'class': 'kf-cause-head' }, [
        h('h3', { 'class': 'kf-cause-name' }, [c.name || words(c.id)]),
        h('span', { 'class': 'kf-tag kf-kind-' + (c.kind || 'other'), text: words(c.kind || '') }),
        c.side ? h('span', { 'class': 'kf-tag', text: sideText(c.side) }) : null,
        c.level && c.level !== 'self_care' ? h('span', { 'class': 'kf-tag kf-tag-doctor',
          text: c.level === 'emergency' ? 'urgent: get help now' : 'for a doctor to check' }) : null
      ]),
      h('div', { 'class': 'kf-meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100',
                 'aria-valuenow': String(pct), 'aria-label': 'How likely: ' + pct + ' percent' }, [
        meterFill(pct)
      ]),
      c.about ? h('p', { 'class': 'kf-about', text: c.about }) : null,
      c.where && c.where.length ? h('p', { 'class': 'kf-where-text' }, [h('strong', { text: 'Where it sits: ' }),
        c.where.map(regionLabel).join('; ')]) : null,
      c.kept_by ? h('p', { 'class': 'kf-kept' }, [h('strong', { text: 'Kept tight by: ' }), causeName(r, c.kept_by)]) : null,
      reasons.length ? h('div', { 'class': 'kf-why' }, [
        h('p', { 'class': 'kf-why-title' }, [h('strong', { text: 'Why I think so' })]),
        h('ul', {}, reasons.map(function (x) {
          return h('li', { 'class': x.state === 'absent' ? 'kf-against' : '' }, [
            x.why,
            x.words ? h('span', { 'class': 'kf-quote' }, [' — you said “', x.words, '”']) : null
          ]);
        }))
      ]) : null,
      st ? h('button', { type: 'button', 'class': 'kf-btn kf-small kf-show-on-body',
                         'aria-pressed': state.story && state.story.cause === st.cause && i === state.shownIdx ? 'true' : 'false',
                         'aria-controls': 'r-picture', text: 'Show on the body',
                         onclick: function () { state.story = st; state.shownIdx = i; swapPicture(r); showOnBody(); } }) : null
    ]);
    return li;
  }

  function swapPicture(r) {
    var old = $('r-picture');
    if (old) old.parentNode.replaceChild(pictureBlock(r, state.story), old);
    Array.prototype.forEach.call(document.querySelectorAll('.kf-causes .kf-show-on-body'), function (b) {
      var li = b.closest('.kf-cause');
      var idx = Array.prototype.indexOf.call(li.parentNode.children, li);
      b.setAttribute('aria-pressed', idx === state.shownIdx ? 'true' : 'false');
    });
  }

  var KIND_NAME = { release: 'release', stretch: 'stretch', strengthen: 'strengthen', habit: 'habit fix',
                    heat: 'warmth', cold: 'cold', doctor: 'doctor' };
  function timerNames(step) {
    var id = step.technique || '', kind = step.kind || '';
    if (/cold|ice/.test(id)) return { work: 'Cold pack on', rest: 'Cold pack off' };
    if (/heat|warm/.test(id)) return { work: 'Warmth on', rest: 'Warmth off' };
    if (kind === 'stretch') return { work: 'Stretch and hold', rest: 'Rest' };
    if (kind === 'strengthen') return { work: 'Work', rest: 'Rest' };
    if (kind === 'release') return { work: 'Press and hold', rest: 'Rest' };
    return { work: 'Go', rest: 'Rest' };
  }
  function addTimer(li, s) {
    if (!s.timer || !(Number(s.timer.work_s) > 0)) return;
    var n = timerNames(s);
    n.name = s.name || words(s.technique);
    KF.Timer.create(li, s.timer, n);
  }

  /* The line of a doctor step: the server's own in first_steps (when to go,
   * what to say); a server that has none gives the KB's dose. */
  function doctorLine(r, s) {
    var line = '';
    (r.first_steps || []).forEach(function (f) { if (!line && f.kind === 'doctor' && f.dose) line = f.dose; });
    return line || s.dose || '';
  }

  function planStep(r, s) {
    var li = h('li', { 'class': 'kf-step', 'data-technique': s.technique, 'data-side': s.side || null }, [
      h('div', { 'class': 'kf-step-head' }, [
        h('h3', { text: s.name || words(s.technique) }),
        s.kind ? h('span', { 'class': 'kf-tag kf-step-' + s.kind, text: KIND_NAME[s.kind] || words(s.kind) }) : null,
        s.side ? h('span', { 'class': 'kf-tag', text: sideText(s.side) }) : null
      ]),
      s['for'] ? h('p', { 'class': 'kf-for' }, ['For ', h('strong', { text: causeName(r, s['for']) })]) : null,
      s.steps && s.steps.length ? h('ol', { 'class': 'kf-how' }, s.steps.map(function (x) { return h('li', { text: x }); })) : null,
      s.kind === 'doctor' ? h('p', { 'class': 'kf-dose' }, [h('strong', { text: 'When, and what to say: ' }), doctorLine(r, s)]) :
        s.dose ? h('p', { 'class': 'kf-dose' }, [h('strong', { text: 'How much: ' }), s.dose]) : null,
      s.for_you ? h('p', { 'class': 'kf-for-you' }, [h('strong', { text: 'For you: ' }), s.for_you]) : null,
      s.caution ? h('p', { 'class': 'kf-caution' }, [h('strong', { text: 'Careful: ' }), s.caution]) : null
    ]);
    addTimer(li, s);
    return li;
  }

  /*
   * The first one to three steps, each with the cause it serves.  The
   * consultation's own `first_steps` when it has them (the method decides);
   * until then the first steps of the plan.  Each entry is the plan step
   * (for its how-to and timer) with what first_steps says on top.
   */
  function firstSteps(r) {
    var plan = (r.plan || []).filter(function (s) { return s.kind !== 'doctor'; });
    var fs = Array.isArray(r.first_steps) && r.first_steps.length ? r.first_steps : plan.slice(0, 3);
    return fs.slice(0, 3).map(function (f) {
      var base = null;
      (r.plan || []).forEach(function (s) {
        if (!base && s.technique === f.technique && (!f['for'] || !s['for'] || s['for'] === f['for'])) base = s;
      });
      var o = {};
      var k;
      if (base) for (k in base) o[k] = base[k];
      for (k in f) if (f[k] !== null && f[k] !== undefined) o[k] = f[k];
      /* first_steps name the timer as a command ("knotfinder do ..."); the
       * page's timer is the plan step's {work_s, rest_s, reps}. */
      o.timer = f.timer && typeof f.timer === 'object' ? f.timer : base ? base.timer : null;
      if (!o['for'] && f.cause) o['for'] = f.cause;
      return o;
    });
  }

  function firstStep(r, s) {
    /* A doctor step's line is when to go and what to tell the doctor:
     * whole, not cut to its first sentence. */
    var dose = s.kind === 'doctor' ? doctorLine(r, s) :
      s.dose ? firstSentence(s.dose).replace(/\s*\([^)]*\)/g, '') : '';
    /* The cause it serves: left to the sentence above when every first step
     * serves the cause it names; once they serve more than one, on every
     * step, the leading cause's too (a step with nothing named beside steps
     * "for the lat" reads as for nothing).  Not on a doctor's visit, which
     * is for what the banner says. */
    var lead = (r.causes || [])[0];
    var mixed = firstSteps(r).some(function (x) { return x.kind !== 'doctor' && x['for'] && (!lead || x['for'] !== lead.id); });
    var forName = s.kind === 'doctor' || (!mixed && lead && s['for'] === lead.id) ? '' :
      s.for_name ? plainName(s.for_name) :
      s['for'] ? plainName(causeName(r, s['for']), (causeById(r, s['for']) || {}).kind) : '';
    var li = h('li', { 'class': 'kf-first-step', 'data-kf': 'first-step', 'data-technique': s.technique,
                       'data-side': s.side || null, 'data-for': s['for'] || null }, [
      h('h3', { text: s.name || words(s.technique) }),
      dose || forName || s.side ? h('p', { 'class': 'kf-first-dose' }, [
        s.side ? h('span', { 'class': 'kf-first-side', text: (s.side === 'both' ? 'Both sides' : sentence(s.side)) + ' · ' }) : null, dose,
        forName ? h('span', { 'class': 'kf-first-for', text: (dose ? ' — for ' : 'For ') + forName }) : null]) : null,
      /* how to do it for this person (thin bones, pregnancy, a fresh
       * spasm): the CLI's "For you:" line, never left to the full plan */
      s.for_you ? h('p', { 'class': 'kf-for-you', 'data-kf': 'for-you' }, [h('strong', { text: 'For you: ' }), s.for_you]) : null
    ]);
    if (s.timer && Number(s.timer.work_s) > 0) addTimer(li, s);
    return li;
  }

  /* The likely cause in one sentence with its chain: what it is, what it
   * keeps short, and how that reaches the place that hurts. */
  function causeSentence(r, st) {
    if (typeof r.cause_sentence === 'string' && r.cause_sentence) return r.cause_sentence;
    var c = (r.causes || [])[0];
    if (!c) return '';
    var name = plainName(c.name, c.kind) + (c.side ? ' (' + sideText(c.side) + ')' : '');
    var pain = painSpots(r);
    function reach(l) {
      if (!l) return '';
      var to = placeWords(l.to.id);
      return l.mechanism === 'refers' ? 'sends pain to ' + to : 'pulls on ' + to;
    }
    if (st && st.habit && st.habit.id === c.id && st.muscles.length) {
      var l = st.link || linkOf(c, pain, []);
      return 'Most likely: ' + name + ', which keeps ' + plainName(st.muscles[0].name, 'muscle') + ' short' +
        (l ? ', and that ' + reach(l) : '') + '.';
    }
    var own = st && st.cause === c.id && st.link ? st.link : linkOf(c, pain, c.where);
    if (own) return 'Most likely: ' + name + (c.kept_by ? ', kept short by ' + lowerFirst(plainName(causeName(r, c.kept_by))) : '') +
      ', which ' + reach(own) + '.';
    if (c.kind === 'mimic' || c.kind === 'medical' || (c.level && c.level !== 'self_care'))
      return 'Most likely: ' + name + ' — for a doctor to check, not a knot to work on.';
    if (c.kind === 'muscle' && (c.where || []).length && pain.some(function (p) { return c.where.indexOf(p.id) >= 0; }))
      return 'Most likely: ' + name + ', right where it hurts: the knot is in the muscle itself' +
        (c.kept_by ? ', kept tight by ' + lowerFirst(plainName(causeName(r, c.kept_by))) : '') + '.';
    var best = null;
    (c.reasons || []).forEach(function (x) {
      if (x.state === 'present' && x.why && (!best || Number(x.weight) > Number(best.weight))) best = x;
    });
    return 'Most likely: ' + name + (best ? ' — ' + lowerFirst(best.why).replace(/\.$/, '') : '') + '.';
  }

  /* The steps the plan left out for this person, in one line. */
  function leftOut(r) {
    var lo = (Array.isArray(r.left_out) ? r.left_out : []).filter(function (x) { return x && (x.name || x.technique); });
    if (!lo.length) return null;
    return h('p', { 'class': 'kf-left-out', 'data-kf': 'left-out' }, [h('strong', { text: 'Left out for you: ' }),
      lo.map(function (x) { return (x.name || words(x.technique)) + (x.why ? ' (' + lowerFirst(String(x.why).replace(/\.$/, '')) + ')' : ''); }).join('; ') + '.']);
  }

  function nextQuestionBox(r, lv) {
    var q = r.next_question;
    if (!q || lv === 'emergency') return null;
    var row;
    if (q.kind === 'finding' && q.finding) {
      var go = function (st) { return function () { answer([finding(q.finding, st)], row); }; };
      row = choiceButtons([
        { label: 'Yes', value: 'yes', go: go('present') },
        { label: 'No', value: 'no', go: go('absent') },
        { label: 'Not sure', value: 'unsure', go: go('unsure') }
      ]);
    } else if (q.kind === 'clarify' && q.finding) {
      row = clarifyButtons(q);
    } else return null;
    return h('section', { 'class': 'kf-sharpen', 'aria-labelledby': 'sharpen-title', 'data-kf': 'question' }, [
      h('h3', { id: 'sharpen-title', text: 'One question would sharpen this' }),
      h('p', { text: q.text }),
      row
    ]);
  }

  function understoodList(r) {
    var u = r.understood || [];
    if (!u.length) return null;
    var stateWord = { present: 'yes', absent: 'no', unsure: 'not sure' };
    return h('details', { 'class': 'kf-understood kf-fold' }, [
      h('summary', { text: 'What I understood (' + u.length + ')' }),
      h('ul', {}, u.map(function (x) {
        return h('li', { 'data-finding': x.finding }, [
          h('span', { 'class': 'kf-tag kf-state-' + x.state, text: stateWord[x.state] || x.state }), ' ',
          x.label || words(x.finding),
          x.side ? ' (' + sideText(x.side) + ')' : '',
          x.words ? h('span', { 'class': 'kf-quote' }, [' — “', x.words, '”']) : null,
          x.ambiguous_with ? h('span', { 'class': 'kf-muted' }, [' — or perhaps: ', words(x.ambiguous_with)]) : null
        ]);
      }))
    ]);
  }

  /* The warning-sign screen when it was skipped or could not be asked. */
  function screenAgain(r) {
    var box = h('section', { 'class': 'kf-card kf-screen-again', 'data-kf': 'screen', 'aria-labelledby': 'screen-title' }, [
      h('h2', { id: 'screen-title', text: 'Before anything else: do any of these apply now?' })
    ]);
    var items = r.triage && Array.isArray(r.triage.screen) && r.triage.screen.length ? r.triage.screen : state.screenItems;
    if (items && items.length) {
      box.appendChild(screenForm(items, 'rscr-', function (list, near) { answer(list, near, true); }));
    } else {
      var row = choiceButtons([{ label: 'Answer the warning-sign questions', value: 'screen', primary: true, go: function () {
        if (busy) return;
        withBusy(api('/api/v1/interview', request({ asked: 0 })), row).then(onInterview, function () {});
      } }]);
      box.appendChild(h('p', { text: 'A few questions about chest pain, fever, weakness and other warning signs come first.' }));
      box.appendChild(row);
    }
    if (r.unrecognised || !(r.causes || []).length) {
      box.appendChild(h('p', { text: 'Then mark the spots on the body, or say it another way — for example where it hurts, what you do most of the day, and what makes it better or worse.' }));
      box.appendChild(h('button', { type: 'button', 'class': 'kf-btn', text: 'Mark where it hurts', onclick: restart }));
    }
    return box;
  }

  /* When the server did not keep this consultation, say so, and why
   * (docs/API.md "Saved or not"); nothing when it was kept. */
  function savedNote(r) {
    if (r.saved !== false) return null;
    var ns = r.not_saved || {};
    var why = ns.message ? String(ns.message).replace(/\.?$/, '.') : 'the server did not keep it.';
    return h('p', { 'class': 'kf-not-saved', 'data-kf': 'saved', 'data-saved': 'false',
                    'data-code': ns.code ? String(ns.code) : '' }, [
      h('strong', { text: 'Not saved to your journal: ' }), why,
      ns.code === 'save_limit' ? ' ' : null,
      ns.code === 'save_limit' ? h('button', { type: 'button', 'class': 'kf-btn kf-link kf-small', text: 'Ask again to keep it',
        onclick: function () {
          if (busy) return;
          withBusy(api('/api/v1/consult', consultBody()), this).then(showResult, function () {});
        } }) : null
    ]);
  }

  function showResult(r) {
    state.result = r;
    state.question = null;
    save();
    renderResult(r);
    nav('result', document.body.getAttribute('data-view') === 'question');
    show('result', resultFocus(r));
  }

  function renderResult(r) {
    KF.Timer.stopAll();
    rendered = r;
    var lv = triageLevel(r);
    var bn = $('r-banner');
    clear(bn);
    bn.appendChild(banner(r.triage || {}, false, r));
    var body = $('r-body');
    clear(body);
    var causes = r.causes || [];
    var folded = [];
    state.story = causes.length ? story(r) : null;
    state.shownIdx = -1;

    if (lv === 'unknown') body.appendChild(screenAgain(r));

    if (causes.length) {
      var steps = firstSteps(r);
      var ask = nextQuestionBox(r, lv);
      var first = h('section', { 'class': 'kf-card kf-first', 'data-kf': 'first-steps', 'aria-labelledby': 'first-title' }, [
        h('h2', { id: 'first-title', text: steps.length ? 'Do this first' : 'What it may be' }),
        h('p', { 'class': 'kf-first-cause', 'data-kf': 'likely-cause' }, [causeSentence(r, state.story), ' ',
          state.story ? h('button', { type: 'button', 'class': 'kf-btn kf-link kf-small kf-to-picture', text: 'Show on the body',
                                      'aria-controls': 'r-picture', onclick: showOnBody }) : null]),
        steps.length ? h('ol', { 'class': 'kf-first-steps' }, steps.map(function (s) { return firstStep(r, s); })) : null,
        leftOut(r),
        ask
      ]);
      var pic = state.story ? h('section', { 'class': 'kf-card kf-picture-card', 'aria-labelledby': 'pic-title' }, [
        h('h2', { id: 'pic-title', text: 'Where it hurts, and where it comes from' }),
        pictureBlock(r, state.story)
      ]) : null;
      var top = h('div', { 'class': 'kf-result-top' }, [first, pic]);
      if (lv === 'emergency') folded.push(top); else body.appendChild(top);
      /* Not kept: said in "Do this first" right after its steps (before a
       * question that would sharpen the answer), in the first screen. */
      if (lv !== 'emergency' && savedNote(r)) {
        if (ask && ask.parentNode === first) first.insertBefore(savedNote(r), ask);
        else first.appendChild(savedNote(r));
      }

      folded.push(h('details', { 'class': 'kf-card kf-fold', 'data-kf': 'all-causes' }, [
        h('summary', { text: 'All likely causes, and why (' + causes.length + ')' }),
        r.approximate ? h('p', { 'class': 'kf-muted', text: 'You told me a lot, so these figures are an estimate.' }) : null,
        h('ol', { 'class': 'kf-causes' }, causes.map(function (c, i) { return causeCard(r, c, i); }))
      ]));
    } else if (lv !== 'unknown') {
      body.appendChild(h('div', { 'class': 'kf-card kf-unrecognised' }, [
        h('p', { text: 'I could not tell where it hurts or what sets it off from that.' }),
        h('button', { type: 'button', 'class': 'kf-btn kf-primary', text: 'Mark where it hurts', onclick: restart })
      ]));
    }
    if ((r.plan || []).length) {
      folded.push(h('details', { 'class': 'kf-card kf-fold', 'data-kf': 'full-plan' }, [
        h('summary', { text: 'The full plan, step by step (' + r.plan.length + ')' }),
        h('p', { 'class': 'kf-muted', text: 'Work on the cause first, then stretch, strengthen, and change the habit that keeps it coming back. Stop anything that makes the pain sharper.' }),
        h('ol', { 'class': 'kf-plan' }, r.plan.map(function (s) { return planStep(r, s); }))
      ]));
    }
    var ul = understoodList(r);
    if (ul) folded.push(ul);
    var lower = ((r.triage || {}).flags || []).filter(function (f) { return f.message && f.level && f.level !== 'emergency'; });

    if (lv === 'emergency') {
      /* Self-care is not what matters now: keep it out of the way. */
      var later = h('details', { 'class': 'kf-later' }, [
        h('summary', { text: 'Self-care information, for later, once a doctor has seen you' })
      ]);
      if (lower.length) later.appendChild(h('ul', { 'class': 'kf-flags kf-flags-later' }, lower.map(function (f) {
        return h('li', { 'data-flag': f.id, text: f.message });
      })));
      folded.forEach(function (x) { later.appendChild(x); });
      body.appendChild(later);
    } else {
      folded.forEach(function (x) { body.appendChild(x); });
    }
    /* An emergency answer, or one without causes: the note comes last. */
    if ((lv === 'emergency' || !causes.length) && savedNote(r)) body.appendChild(savedNote(r));
    if (r.disclaimer) body.appendChild(h('p', { 'class': 'kf-disclaimer', text: r.disclaimer }));
    $('r-print').hidden = !causes.length || lv === 'emergency';
  }

  /* ---- 4. the massage therapist's page ---------------------------------- */

  var SIDE_NAME = { left: 'Left side', right: 'Right side', both: 'Both sides', '': 'Side not known' };
  function renderPrint(r) {
    var body = $('p-body');
    clear(body);
    var when = new Date();
    body.appendChild(h('p', { 'class': 'kf-muted kf-print-note', text: 'Prepared with knotfinder on ' +
      when.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' }) +
      '. Likely causes from a self-help questionnaire, not a diagnosis.' }));
    if (r.triage && r.triage.level !== 'self_care') body.appendChild(banner(r.triage, true));

    var pain = painSpots(r);
    var cols = h('div', { 'class': 'kf-print-cols' });
    var left = h('div', { 'class': 'kf-print-text' });
    cols.appendChild(left);
    if (pain.length) {
      left.appendChild(h('h2', { text: 'Where it hurts' }));
      left.appendChild(h('p', { text: pain.map(function (p) { return KF.BodyMap.zoneName(regionLabel(p.id), p.side); }).join('; ') }));
    }

    var m = r.massage || [];
    left.appendChild(h('h2', { text: 'Please work on these muscles' }));
    if (!m.length) {
      left.appendChild(h('p', { text: 'No particular muscle stood out; please assess the area around where it hurts.' }));
    } else {
      var order = ['left', 'right', 'both', ''];
      var groups = {};
      m.forEach(function (x) { var s = order.indexOf(x.side) >= 0 ? x.side : ''; (groups[s] = groups[s] || []).push(x); });
      var table = h('table', { 'class': 'kf-massage' }, [
        h('thead', {}, [h('tr', {}, [h('th', { scope: 'col', text: 'Side' }), h('th', { scope: 'col', text: 'Muscle' }),
                                    h('th', { scope: 'col', text: 'Why' })])])
      ]);
      var num = {};
      m.forEach(function (x, i) { num[x.muscle] = i + 1; });
      order.forEach(function (s) {
        if (!groups[s]) return;
        var tb = h('tbody', { 'data-side': s || 'unknown' });
        groups[s].forEach(function (x, k) {
          tb.appendChild(h('tr', { 'data-muscle': x.muscle }, [
            k === 0 ? h('th', { scope: 'rowgroup', rowspan: String(groups[s].length), text: SIDE_NAME[s] }) : null,
            h('td', {}, [h('span', { 'class': 'kf-num-tag', 'aria-hidden': 'true', text: String(num[x.muscle]) }), ' ',
                         x.name || words(x.muscle)]),
            h('td', { text: firstSentence(x.why || '') })
          ]));
        });
        table.appendChild(tb);
      });
      left.appendChild(table);
      var fig = pictureBlock(r, null, true);
      fig.id = 'p-picture';
      cols.appendChild(fig);
    }
    body.appendChild(cols);

    var causes = r.causes || [];
    if (causes.length) {
      body.appendChild(h('h2', { text: 'What the questionnaire found, most likely first' }));
      body.appendChild(h('p', { 'class': 'kf-print-causes', text: causes.map(function (c, i) {
        return (i + 1) + '. ' + plainName(c.name || words(c.id), c.kind) + (c.side ? ' (' + sideText(c.side) + ')' : '') +
          (c.kept_by ? ', kept tight by ' + lowerFirst(plainName(causeName(r, c.kept_by))) : '');
      }).join(';  ') + '.' }));
    }
    if (r.disclaimer) body.appendChild(h('p', { 'class': 'kf-disclaimer', text: r.disclaimer }));
  }

  /* ---- boot -------------------------------------------------------------- */

  function boot() {
    load();
    start();
    if (state.text) $('words').value = state.text;
    if (state.hand) $('hand').value = state.hand;
    var holder = $('start-map');
    function ready() {
      route();
      document.body.setAttribute('data-ready', 'true');
    }
    api('/api/v1/regions').then(function (data) {
      state.regions = (data && data.regions) || [];
      state.regions.forEach(function (r) { state.regionById[r.id] = r; });
      startPicker = KF.BodyMap.picker({ container: holder, regions: state.regions });
      ready();
    }, function (e) {
      holder.appendChild(h('p', { 'class': 'kf-error', text: 'The body map could not be loaded (' + e.message +
        '). You can still describe it in your own words below.' }));
      ready();
    });
    /* Where the journal is, and whether this server keeps anything. */
    api('/api/v1/journal/about').then(function (a) {
      var where = $('kept-path'), keep = $('keep');
      if (where && a && a.path) where.textContent = ' (' + a.path + ')';
      if (keep && a && a.saving === false) {
        keep.checked = false;
        keep.disabled = true;
        $('kept-where').textContent = 'This knotfinder keeps nothing of what you describe here (it runs with --no-save).';
      }
    }, function () { /* an older server, or one that needs its token: the words stand */ });
  }

  KF.App = { state: state, show: show };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
