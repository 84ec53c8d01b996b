/*
 * app.js — the knotfinder web page: where it hurts (body map and own
 * words), the interview one question at a time, the result with its triage
 * banner, the picture of pain and cause, the plan with timers, and a page
 * to print for a massage therapist.
 *
 * The page decides nothing about bodies: every judgement comes from the
 * JSON API (docs/API.md).  The interview is stateless on the server, so the
 * page keeps the findings so far and sends them with every answer.
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
    question: null,
    result: null,
    shownCause: -1,       /* which cause the picture shows */
    answered: 0           /* questions answered in this visit */
  };
  var startPicker = null;

  /* ---- small helpers ------------------------------------------------------ */

  var h = KF.dom.h, words = KF.dom.words, sentence = KF.dom.sentence,
      clear = KF.dom.clear, sideText = KF.dom.sideText;
  function regionLabel(id) { return state.regionById[id] ? state.regionById[id].label : words(id); }
  function findingOfRegion(r) { return r.finding || 'pain_' + r.id; }

  function say(msg) { $('status').textContent = msg || ''; }
  function showError(msg) {
    var e = $('error');
    if (!msg) { e.hidden = true; e.textContent = ''; return; }
    e.textContent = msg;
    e.hidden = false;
  }

  /* POST or GET JSON; throws an Error whose message is fit to show. */
  function api(path, body) {
    return KF.dom.api(path, body).catch(function (err) {
      err.message = err.kind === 'server' && err.serverSaid ? 'The server said: ' + err.message
                  : err.kind === 'server' ? sentence(err.message) + '.'
                  : err.kind === 'unreadable' ? 'The server sent an answer this page could not read.'
                  : 'Could not reach the knotfinder server. Is it still running?';
      throw err;
    });
  }

  var busy = false;
  function withBusy(p) {
    busy = true;
    document.body.setAttribute('aria-busy', 'true');
    say('Thinking…');
    showError('');
    return p.then(function (x) { busy = false; document.body.removeAttribute('aria-busy'); say(''); return x; },
      function (e) {
        busy = false;
        document.body.removeAttribute('aria-busy');
        say('');
        showError(e.message);
        throw e;
      });
  }

  /* ---- views ------------------------------------------------------------ */

  var VIEWS = ['start', 'question', 'result', 'print', 'journal'];   /* journal: journal.js */
  function show(name, focusId) {
    VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== name; });
    document.body.setAttribute('data-view', name);
    var f = $(focusId || (name === 'start' ? 'start-title' : name === 'question' ? 'q-title' :
                          name === 'result' ? 'result-title' : name === 'journal' ? 'journal-title' : 'print-title'));
    if (f) f.focus();
    window.scrollTo(0, 0);
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
        showError('Mark where it hurts on the body, or describe it in your own words.');
        $('words').focus();
        return;
      }
      state.hand = $('hand').value;
      state.findings = pain;
      state.asked = 0;
      state.answered = 0;
      var body = request({});
      if (text) body.text = text;
      withBusy(api('/api/v1/interview', body)).then(onInterview, function () {});
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
      withBusy(api('/api/v1/consult', consultBody())).then(showResult, function () {});
    });
    $('q-words-go').addEventListener('click', sendWords);
    $('q-words').addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter') { ev.preventDefault(); sendWords(); }
    });
    $('q-form').addEventListener('submit', function (ev) { ev.preventDefault(); });
    $('r-print').addEventListener('click', function () { location.hash = '#print'; });
    $('p-back').addEventListener('click', function () { location.hash = '#result'; });
    $('p-print').addEventListener('click', function () { window.print(); });
    window.addEventListener('hashchange', route);
  }

  function restart() {
    KF.Timer.stopAll();
    state.result = null;
    state.question = null;
    state.findings = [];
    state.asked = 0;
    showError('');
    if (startPicker) startPicker.clear();
    $('words').value = '';
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    show('start');
  }

  function route() {
    if (location.hash === '#print' && state.result) { renderPrint(state.result); show('print'); }
    else if (location.hash === '#result' && state.result) show('result', 'result-title');
  }

  /* ---- 2. the interview -------------------------------------------------- */

  function onInterview(resp) {
    if (resp.findings) state.findings = resp.findings;
    if (typeof resp.asked === 'number') state.asked = resp.asked;
    /* A warning that needs help now stops the questions. */
    var urgent = resp.result && resp.result.triage && resp.result.triage.level === 'emergency';
    if (resp.question && !urgent) return showQuestion(resp.question, resp.result);
    if (resp.result) return showResult(resp.result);
    return withBusy(api('/api/v1/consult', consultBody())).then(showResult, function () {});
  }

  /* Sends an answer.  The findings so far change only when the server has
   * taken it, so a failed request can simply be tried again. */
  function answer(add) {
    if (busy) return;
    send(request({ findings: merge(state.findings, add) }));
  }
  function send(body) {
    withBusy(api('/api/v1/interview', body)).then(function (resp) {
      state.findings = body.findings;
      state.answered++;
      onInterview(resp);
    }, function () {});
  }

  function sendWords() {
    var w = $('q-words').value.trim();
    if (!w) { showError('Write a few words first, or use the buttons above.'); $('q-words').focus(); return; }
    if (busy) return;
    send(request({ text: w }));
  }

  function choiceButtons(list) {
    return h('div', { 'class': 'kf-choices' }, list.map(function (c) {
      return h('button', { type: 'button', 'class': 'kf-btn kf-choice' + (c.primary ? ' kf-primary' : ''),
                           'data-answer': c.value, onclick: c.go, text: c.label });
    }));
  }

  function showQuestion(q, partial) {
    KF.Timer.stopAll();
    state.question = q;
    $('q-count').textContent = 'Question ' + (state.answered + 1);
    $('q-title').textContent = q.text || 'One more question';
    $('q-words').value = '';
    var body = $('q-body');
    clear(body);
    body.setAttribute('data-kind', q.kind);
    if (partial && partial.triage && partial.triage.level !== 'self_care') body.appendChild(banner(partial.triage, true));

    if (q.kind === 'finding') {
      body.appendChild(choiceButtons([
        { label: 'Yes', value: 'yes', go: function () { answer([finding(q.finding, 'present')]); } },
        { label: 'No', value: 'no', go: function () { answer([finding(q.finding, 'absent')]); } },
        { label: 'Not sure', value: 'unsure', go: function () { answer([finding(q.finding, 'unsure')]); } }
      ]));
    } else if (q.kind === 'screen') {
      var items = q.items || [];
      var fs = h('fieldset', { 'class': 'kf-screen' }, [h('legend', { text: 'Tick every one that applies now.' })]);
      var boxes = items.map(function (it, i) {
        var cb = h('input', { type: 'checkbox', id: 'scr-' + i, 'data-finding': it.finding });
        fs.appendChild(h('div', { 'class': 'kf-check' }, [cb, h('label', { 'for': 'scr-' + i, text: sentence(it.label || it.text) })]));
        return cb;
      });
      body.appendChild(fs);
      var send = function () {
        answer(items.map(function (it, i) { return finding(it.finding, boxes[i].checked ? 'present' : 'absent'); }));
      };
      body.appendChild(choiceButtons([
        { label: 'None of these', value: 'none', go: function () { boxes.forEach(function (b) { b.checked = false; }); send(); } },
        { label: 'Continue with the ticked ones', value: 'ticked', primary: true, go: send }
      ]));
    } else if (q.kind === 'clarify') {
      var opts = q.options && q.options.length ? q.options :
        [{ finding: q.finding, label: words(q.finding) }, { finding: q.alt, label: words(q.alt) }];
      /* The words that were ambiguous may have named a side: keep it. */
      var side = '';
      state.findings.forEach(function (f) { if ((f.id === q.finding || f.id === q.alt) && f.side) side = f.side; });
      body.appendChild(choiceButtons(opts.map(function (o) {
        return { label: sentence(o.label), value: o.finding, go: function () {
          answer(opts.map(function (x) {
            return x.finding === o.finding ? finding(x.finding, 'present', side) : finding(x.finding, 'absent');
          }));
        } };
      }).concat([{ label: 'Not sure', value: 'unsure', go: function () { answer([finding(q.finding, 'unsure')]); } }])));
    } else if (q.kind === 'where') {
      var allowed = {};
      (q.regions || []).forEach(function (r) { allowed[r.id] = true; });
      var rs = state.regions.filter(function (r) { return !q.regions || !q.regions.length || allowed[r.id]; });
      var holder = h('div', { 'class': 'kf-where' });
      body.appendChild(holder);
      var pk = KF.BodyMap.picker({ container: holder, regions: rs });
      body.appendChild(choiceButtons([{ label: 'These are the spots', value: 'where', primary: true, go: function () {
        var sel = pk.get();
        if (!sel.length) { showError('Mark at least one spot, or answer in your own words below.'); return; }
        answer(painFindings(sel));
      } }]));
    } else {
      body.appendChild(h('p', { text: 'This page does not know how to ask that; answer in your own words below, or skip.' }));
    }
    show('question');
  }

  /* ---- 3. the result ---------------------------------------------------- */

  var LEVEL = {
    emergency: { title: 'Call emergency services now',
                 lead: 'Do not wait to see whether it passes, and do not drive yourself.' },
    doctor_soon: { title: 'See a doctor in the next few days',
                   lead: 'Some of what you describe is not typical of a muscle knot.' },
    mention_to_doctor: { title: 'Self-care is fine — mention this to your doctor',
                         lead: 'Tell your doctor about it at your next visit.' },
    self_care: { title: 'Self-care is a reasonable start', lead: '' }
  };

  function banner(t, compact) {
    var lv = LEVEL[t.level] ? t.level : 'doctor_soon';
    var L = LEVEL[lv];
    var urgent = lv === 'emergency' || lv === 'doctor_soon';
    var box = h('div', { 'class': 'kf-banner kf-level-' + lv, role: urgent ? 'alert' : null,
                         'data-level': lv, 'aria-labelledby': compact ? null : 'banner-title' }, [
      h(compact ? 'p' : 'h2', { 'class': 'kf-banner-title', id: compact ? null : 'banner-title',
                                 tabindex: compact ? null : '-1', text: L.title })
    ]);
    if (t.message) box.appendChild(h('p', { 'class': 'kf-banner-msg', text: t.message }));
    /* Our own line only when the server gave no message of its own. */
    if (L.lead && !compact && !t.message) box.appendChild(h('p', { text: L.lead }));
    var flags = (t.flags || []).filter(function (f) { return f.message; });
    if (flags.length && !compact) {
      box.appendChild(h('ul', { 'class': 'kf-flags' }, flags.map(function (f) {
        return h('li', { 'data-flag': f.id, 'class': f.level && f.level !== lv ? 'kf-flag-lower' : null, text: f.message });
      })));
    }
    return box;
  }

  function causeName(r, id) {
    for (var i = 0; i < (r.causes || []).length; i++) if (r.causes[i].id === id) return r.causes[i].name;
    return words(id);
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

  /* The picture for one cause (idx into r.causes), or, with idx = 'massage',
   * for every muscle on the massage list at once. */
  function pictureBlock(r, idx) {
    var c = null, several = null;
    if (idx === 'massage') {
      several = (r.massage || []).map(function (m) {
        var k = (r.causes || []).filter(function (x) { return x.id === m.muscle; })[0];
        return { name: m.name, where: k ? k.where || [] : [], side: m.side || (k && k.side) || '' };
      });
    } else if (idx >= 0) c = r.causes[idx];
    var svg = KF.BodyMap.picture({
      pain: painSpots(r), regions: regionMap(), causes: several,
      cause: c ? { name: c.name, where: c.where || [], side: c.side } : null
    });
    var fig = h('figure', { 'class': 'kf-picture-fig', id: 'r-picture', 'data-cause': c ? c.id : '' });
    fig.appendChild(svg);
    fig.appendChild(h('figcaption', {}, [
      h('span', { 'class': 'kf-legend' }, [
        h('span', {}, [h('span', { 'class': 'kf-swatch kf-swatch-pain', 'aria-hidden': 'true' }), ' it hurts here']),
        c || several ? h('span', {}, [h('span', { 'class': 'kf-swatch kf-swatch-cause', 'aria-hidden': 'true' }),
          several ? ' muscles to work on' : ' the cause is here']) : null,
        svg.kfHasArrow ? h('span', {}, [h('span', { 'class': 'kf-swatch kf-swatch-arrow', 'aria-hidden': 'true' }), ' the cause acts on the pain']) : null
      ]),
      h('span', { 'class': 'kf-picture-words', text: svg.kfSentence })
    ]));
    return fig;
  }

  function firstDrawable(r) {
    for (var i = 0; i < (r.causes || []).length; i++) {
      var w = r.causes[i].where || [];
      if (w.some(function (id) { return KF.BodyMap.isDrawn(id); })) return i;
    }
    return -1;
  }

  /* Width through the CSSOM (allowed under a strict Content-Security-Policy,
   * unlike a style attribute). */
  function meterFill(pct) {
    var f = h('span', { 'class': 'kf-meter-fill' });
    f.style.width = pct + '%';
    return f;
  }

  function causeCard(r, c, i) {
    var pct = Math.round(Math.max(0, Math.min(1, Number(c.score) || 0)) * 100);
    var drawable = (c.where || []).some(function (id) { return KF.BodyMap.isDrawn(id); });
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
      drawable ? h('button', { type: 'button', 'class': 'kf-btn kf-small kf-show-on-body',
                               'aria-pressed': i === state.shownCause ? 'true' : 'false',
                               'aria-controls': 'r-picture', text: 'Show on the body',
                               onclick: function () { state.shownCause = i; swapPicture(r); } }) : null
    ]);
    return li;
  }

  function swapPicture(r) {
    var old = $('r-picture');
    if (old) old.parentNode.replaceChild(pictureBlock(r, state.shownCause), old);
    Array.prototype.forEach.call(document.querySelectorAll('.kf-show-on-body'), function (b) {
      var li = b.closest('.kf-cause');
      var idx = Array.prototype.indexOf.call(li.parentNode.children, li);
      b.setAttribute('aria-pressed', idx === state.shownCause ? 'true' : 'false');
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

  function planStep(r, s) {
    var li = h('li', { 'class': 'kf-step', 'data-technique': s.technique }, [
      h('div', { 'class': 'kf-step-head' }, [
        h('h3', { text: s.name || words(s.technique) }),
        s.kind ? h('span', { 'class': 'kf-tag kf-step-' + s.kind, text: KIND_NAME[s.kind] || words(s.kind) }) : null,
        s.side ? h('span', { 'class': 'kf-tag', text: sideText(s.side) }) : null
      ]),
      s['for'] ? h('p', { 'class': 'kf-for' }, ['For ', h('strong', { text: causeName(r, s['for']) })]) : null,
      s.steps && s.steps.length ? h('ol', { 'class': 'kf-how' }, s.steps.map(function (x) { return h('li', { text: x }); })) : null,
      s.dose ? h('p', { 'class': 'kf-dose' }, [h('strong', { text: 'How much: ' }), s.dose]) : null,
      s.caution ? h('p', { 'class': 'kf-caution' }, [h('strong', { text: 'Careful: ' }), s.caution]) : null
    ]);
    if (s.timer && Number(s.timer.work_s) > 0) {
      var n = timerNames(s);
      n.name = s.name || words(s.technique);
      KF.Timer.create(li, s.timer, n);
    }
    return li;
  }

  function understoodList(r) {
    var u = r.understood || [];
    if (!u.length) return null;
    var stateWord = { present: 'yes', absent: 'no', unsure: 'not sure' };
    return h('details', { 'class': 'kf-understood' }, [
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

  function nextQuestionBox(r) {
    var q = r.next_question;
    if (!q || q.kind !== 'finding' || !q.finding) return null;
    var go = function (st) { return function () { answer([finding(q.finding, st)]); }; };
    return h('section', { 'class': 'kf-card kf-sharpen', 'aria-labelledby': 'sharpen-title' }, [
      h('h2', { id: 'sharpen-title', text: 'One more answer would sharpen this' }),
      h('p', { text: q.text }),
      choiceButtons([
        { label: 'Yes', value: 'yes', go: go('present') },
        { label: 'No', value: 'no', go: go('absent') },
        { label: 'Not sure', value: 'unsure', go: go('unsure') }
      ])
    ]);
  }

  function showResult(r) {
    KF.Timer.stopAll();
    state.result = r;
    state.question = null;
    var lvl = r.triage ? r.triage.level : 'self_care';
    var bn = $('r-banner');
    clear(bn);
    if (r.triage) bn.appendChild(banner(r.triage, false));
    var body = $('r-body');
    clear(body);
    var main = h('div', {});
    var causes = r.causes || [];

    if (r.unrecognised || !causes.length) {
      main.appendChild(h('div', { 'class': 'kf-card kf-unrecognised' }, [
        h('p', { text: 'I could not tell where it hurts or what sets it off from that. Mark the spots on the body, or say it another way — for example where it hurts, what you do most of the day, and what makes it better or worse.' }),
        h('button', { type: 'button', 'class': 'kf-btn kf-primary', text: 'Mark where it hurts', onclick: restart })
      ]));
    } else {
      state.shownCause = firstDrawable(r);
      main.appendChild(h('section', { 'class': 'kf-card', 'aria-labelledby': 'pic-title' }, [
        h('h2', { id: 'pic-title', text: 'Where it hurts, and where it comes from' }),
        pictureBlock(r, state.shownCause)
      ]));
      main.appendChild(h('section', { 'class': 'kf-card', 'aria-labelledby': 'causes-title' }, [
        h('h2', { id: 'causes-title', text: 'Likely causes, most likely first' }),
        r.approximate ? h('p', { 'class': 'kf-muted', text: 'You told me a lot, so these figures are an estimate.' }) : null,
        h('ol', { 'class': 'kf-causes' }, causes.map(function (c, i) { return causeCard(r, c, i); }))
      ]));
      var nq = nextQuestionBox(r);
      if (nq) main.appendChild(nq);
    }
    var ul = understoodList(r);
    if (ul) main.appendChild(ul);

    if ((r.plan || []).length) {
      main.appendChild(h('section', { 'class': 'kf-card', 'aria-labelledby': 'plan-title' }, [
        h('h2', { id: 'plan-title', text: 'Your plan, step by step' }),
        h('p', { 'class': 'kf-muted', text: 'Work on the cause first, then stretch, strengthen, and change the habit that keeps it coming back. Stop anything that makes the pain sharper.' }),
        h('ol', { 'class': 'kf-plan' }, r.plan.map(function (s) { return planStep(r, s); }))
      ]));
    }

    if (lvl === 'emergency') {
      /* Self-care is not what matters now: keep it out of the way. */
      body.appendChild(h('details', { 'class': 'kf-later' }, [
        h('summary', { text: 'Self-care information, for later, once a doctor has seen you' }), main
      ]));
    } else {
      body.appendChild(main);
    }
    if (r.disclaimer) body.appendChild(h('p', { 'class': 'kf-disclaimer', text: r.disclaimer }));
    $('r-print').hidden = !causes.length || lvl === 'emergency';
    if (location.hash === '#print') history.replaceState(null, '', '#result');
    show('result', lvl === 'emergency' || lvl === 'doctor_soon' ? 'banner-title' : 'result-title');
  }

  /* ---- 4. the massage therapist's page ---------------------------------- */

  function renderPrint(r) {
    var body = $('p-body');
    clear(body);
    var when = new Date();
    body.appendChild(h('p', { 'class': 'kf-muted', text: 'Prepared with knotfinder on ' +
      when.toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' }) +
      '. These are likely causes from a self-help questionnaire, not a diagnosis.' }));
    if (r.triage && r.triage.level !== 'self_care') body.appendChild(banner(r.triage, true));

    var pain = painSpots(r);
    if (pain.length) {
      body.appendChild(h('h2', { text: 'Where it hurts' }));
      body.appendChild(h('ul', {}, pain.map(function (p) {
        return h('li', { text: KF.BodyMap.zoneName(regionLabel(p.id), p.side) });
      })));
    }

    var m = r.massage || [];
    body.appendChild(h('h2', { text: 'Please work on these muscles' }));
    if (!m.length) {
      body.appendChild(h('p', { text: 'No particular muscle stood out; please assess the area around where it hurts.' }));
    } else {
      var order = ['left', 'right', 'both', ''];
      var groups = {};
      m.forEach(function (x) { var s = order.indexOf(x.side) >= 0 ? x.side : ''; (groups[s] = groups[s] || []).push(x); });
      var table = h('table', { 'class': 'kf-massage' }, [
        h('thead', {}, [h('tr', {}, [h('th', { scope: 'col', text: 'Side' }), h('th', { scope: 'col', text: 'Muscle' }),
                                    h('th', { scope: 'col', text: 'Why' })])])
      ]);
      order.forEach(function (s) {
        if (!groups[s]) return;
        var tb = h('tbody', { 'data-side': s || 'unknown' });
        groups[s].forEach(function (x, k) {
          tb.appendChild(h('tr', { 'data-muscle': x.muscle }, [
            k === 0 ? h('th', { scope: 'rowgroup', rowspan: String(groups[s].length),
                                text: s ? (s === 'both' ? 'Both sides' : s === 'left' ? 'Left' : 'Right') : 'Side not known' }) : null,
            h('td', { text: x.name || words(x.muscle) }),
            h('td', { text: x.why || '' })
          ]));
        });
        table.appendChild(tb);
      });
      body.appendChild(table);
      var fig = pictureBlock(r, 'massage');
      fig.id = 'p-picture';
      body.appendChild(fig);
    }

    var causes = r.causes || [];
    if (causes.length) {
      body.appendChild(h('h2', { text: 'What the questionnaire found' }));
      body.appendChild(h('ol', {}, causes.map(function (c) {
        return h('li', {}, [h('strong', { text: c.name || words(c.id) }),
          c.side ? ' (' + sideText(c.side) + ')' : '',
          c.kept_by ? ' — kept tight by ' + causeName(r, c.kept_by) : '']);
      })));
    }
    if (r.disclaimer) body.appendChild(h('p', { 'class': 'kf-disclaimer', text: r.disclaimer }));
  }

  /* ---- boot -------------------------------------------------------------- */

  function boot() {
    start();
    var holder = $('start-map');
    api('/api/v1/regions').then(function (data) {
      state.regions = (data && data.regions) || [];
      state.regions.forEach(function (r) { state.regionById[r.id] = r; });
      startPicker = KF.BodyMap.picker({ container: holder, regions: state.regions });
      document.body.setAttribute('data-ready', 'true');
    }, function (e) {
      holder.appendChild(h('p', { 'class': 'kf-error', text: 'The body map could not be loaded (' + e.message +
        '). You can still describe it in your own words below.' }));
      document.body.setAttribute('data-ready', 'true');
    });
    if (location.hash && location.hash !== '#journal') history.replaceState(null, '', location.pathname + location.search);
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
