/*
 * journal.js — the journal view: a check-in form (how much it hurts, where,
 * what was done, how long the relief lasted, what made it worse), the
 * recent check-ins, the pain chart, and the plan revised by the check-ins
 * with what changed and why.  After a plan timer runs to its end it offers
 * "How did it go?", which opens the form filled in with that step.
 *
 * Endpoints (docs/API.md, src/journal_http.h): GET /api/v1/journal,
 * POST /api/v1/journal/checkins, GET /api/v1/journal/plan (404 before any
 * consultation), GET /api/v1/journal/history, GET /api/v1/regions.
 *
 * Like app.js, the page judges nothing: ranges are checked by the server,
 * and its 422 message is shown next to the field it names.  The view is
 * reached through the "#journal" address, so the browser's Back works.
 */
(function () {
  'use strict';
  var KF = window.KF = window.KF || {};
  var $ = function (id) { return document.getElementById(id); };

  /* What a person can log beside the plan's own steps (ids the server knows). */
  var GENERIC = [
    { id: 'massage', name: 'Massage or rubbing the spot' },
    { id: 'heat', name: 'Heat (hot pack, shower, bath)' },
    { id: 'cold', name: 'Cold (ice or cold pack)' },
    { id: 'other', name: 'Something else' }
  ];
  var GENERIC_NAME = { massage: 'massage', heat: 'heat', cold: 'cold', stretch: 'stretching',
                       rest: 'rest', painkiller: 'a painkiller', other: 'something else' };
  var WORSE = [
    { id: '', label: 'No, nothing' },
    { id: 'heat', label: 'Heat' },
    { id: 'cold', label: 'Cold' },
    { id: 'massage', label: 'Massage' }
  ];
  /* The form's fields, by the id suffix of their input and error line. */
  var FIELD_OF = { pain: 'pain', pain_before: 'before', where: 'where', side: 'where', did: 'did',
                   worse_after: 'worse', worse: 'worse', relief_hours: 'relief', relief: 'relief', note: 'note' };

  var st = {
    regions: null,         /* promise of GET /api/v1/regions */
    regionById: {},
    plan: null,            /* the revision object, or null (none yet / failed) */
    names: {},             /* technique id -> name */
    prefill: null,         /* {technique, where, side, name} for the next render */
    from: 'start',         /* the view to go back to */
    timers: [],            /* timers of the revised plan */
    loaded: false,
    seq: 0                 /* so a slow answer cannot overwrite a newer one */
  };

  /* ---- small helpers ------------------------------------------------------ */

  var h = KF.dom.h, words = KF.dom.words, sentence = KF.dom.sentence,
      clear = KF.dom.clear, sideText = KF.dom.sideText;
  function pct(x) { return Math.round(Math.max(0, Math.min(1, Number(x) || 0)) * 100); }
  function say(msg) { var s = $('status'); if (s) s.textContent = msg || ''; }

  /* GET or POST JSON (dom.js): the error's message is the server's own
   * sentence when it gave one. */
  var api = KF.dom.api;

  function regionLabel(id) { return st.regionById[id] ? st.regionById[id].label : words(id); }
  function techName(id) {
    if (st.names[id]) return st.names[id];
    if (GENERIC_NAME[id]) return GENERIC_NAME[id];
    return words(id);
  }
  function learnNames(plan) {
    (plan || []).forEach(function (s) { if (s.technique && s.name) st.names[s.technique] = s.name; });
  }

  /* Names of techniques the check-ins mention that no plan on the page has
   * named (a step that has since left the plan): one request each, once. */
  function fetchNames(ids) {
    var want = ids.filter(function (id) {
      return id && !st.names[id] && !GENERIC_NAME[id] && /^[a-z0-9_]+$/.test(id);
    });
    return Promise.all(want.slice(0, 40).map(function (id) {
      return api('/api/v1/techniques/' + encodeURIComponent(id)).then(function (t) {
        if (t && t.name) st.names[id] = t.name;
      }, function () { st.names[id] = words(id); });
    }));
  }

  function loadRegions() {
    if (!st.regions) {
      st.regions = api('/api/v1/regions').then(function (d) {
        var list = (d && d.regions) || [];
        list.forEach(function (r) { st.regionById[r.id] = r; });
        return list;
      }, function (e) { st.regions = null; throw e; });
    }
    return st.regions;
  }

  /* The painful spot of a result: its first "pain_<region>" finding. */
  function painSpot(r) {
    var out = null;
    ((r && r.understood) || []).forEach(function (u) {
      if (!out && u.state === 'present' && /^pain_/.test(u.finding)) out = { where: u.finding.slice(5), side: u.side || '' };
    });
    if (!out && KF.App && KF.App.state) {
      (KF.App.state.findings || []).forEach(function (f) {
        if (!out && f.state === 'present' && /^pain_/.test(f.id)) out = { where: f.id.slice(5), side: f.side || '' };
      });
    }
    return out;
  }

  /* The place of the kept consultation, as {where: region id, side}: its
   * first pain the revised plan understood, else the page's own. */
  function keptSpot(regions) {
    var byFinding = {};
    (regions || []).forEach(function (r) { byFinding[r.finding || 'pain_' + r.id] = r; });
    var out = null;
    var r = st.plan && st.plan.result ? st.plan.result : null;
    var spots = ((r && r.understood) || []).map(function (u) { return { id: u.finding, state: u.state, side: u.side }; });
    if (!spots.length && KF.App && KF.App.state) spots = KF.App.state.findings || [];
    spots.forEach(function (u) {
      var g = byFinding[u.id];
      if (!out && u.state === 'present' && g && st.regionById[g.id])
        out = { where: g.id, side: g.sided ? u.side || '' : '' };
    });
    return out;
  }

  /* "2 hours", "30 minutes", "3 days", "no relief". */
  function hoursText(x) {
    x = Number(x);
    if (!(x > 0)) return 'no relief';
    if (x < 1) { var m = Math.round(x * 60); return m + (m === 1 ? ' minute' : ' minutes'); }
    if (x >= 48) { var d = Math.round(x / 24 * 10) / 10; return d + ' days'; }
    var r = Math.round(x * 10) / 10;
    return r + (r === 1 ? ' hour' : ' hours');
  }
  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso || '');
    return d.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short',
                                         hour: '2-digit', minute: '2-digit' });
  }
  function dayText(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso || '');
    return d.toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
  }
  function painWords(n) {
    return n === 0 ? 'no pain' : n <= 3 ? 'mild' : n <= 6 ? 'moderate' : n <= 9 ? 'severe' : 'the worst';
  }

  /* ---- the view ----------------------------------------------------------- */

  /* The message of a warning, without its title said again in capitals
   * ("SEE A DOCTOR today or tomorrow, before trying self-care..." under
   * "See a doctor today or tomorrow"): the rules' own messages (what the
   * sign is and what to do) when the answer has them, else the rest of the
   * level's message. */
  function warningLines(r) {
    var t = (r && r.triage) || {};
    var flags = (t.flags || []).filter(function (f) { return f.message; });
    if (flags.length) return flags.map(function (f) { return f.message; });
    var m = /^(SEE A DOCTOR|EMERGENCY)\b[^,.:]*[,.:]\s*(.*)$/.exec(String(t.message || ''));
    return t.message ? [m && m[2] ? sentence(m[2]) : t.message] : [];
  }

  /* Where the warning comes from: a check-in's note, or the last
   * description. */
  function warningFrom(lvl, notes) {
    var act = lvl === 'emergency' ? 'get help first.' : 'see a doctor first.';
    if (notes && notes.length)
      return 'From what you wrote in your check-in of ' + dayText(notes[0].at) + ': ' + act +
        ' If a doctor has already seen to it, delete that check-in from the list below.';
    return 'From the last thing you described. Check-ins do not change this: ' + act;
  }

  /* Above the form: the warning sign of the latest description or of a
   * check-in's note, when it needs a doctor soon or emergency services
   * (with the call button), else nothing.  Returns the level shown ('' for
   * none). */
  function topWarning(lvl, r, notes) {
    var top = $('j-warning');
    var urgent = lvl === 'emergency' || lvl === 'doctor_soon';
    alertElsewhere(urgent && notes && notes.length ? lvl : '', r, notes);
    if (!top) return '';
    clear(top);
    top.hidden = !urgent || !LEVEL_TITLE[lvl];
    if (top.hidden) return '';
    var lines = warningLines(r);
    top.appendChild(h('div', { 'class': 'kf-banner kf-level-' + lvl, 'data-level': lvl, role: 'alert',
                               tabindex: '-1', id: 'j-warning-box' }, [
      h('p', { 'class': 'kf-banner-title', text: title(lvl, r) }),
      lvl === 'emergency' ? KF.dom.callBox() : null,
      lines.length === 1 ? h('p', { text: lines[0] }) :
        lines.length ? h('ul', { 'class': 'kf-flags' }, lines.map(function (x) { return h('li', { text: x }); })) : null,
      h('p', { 'class': 'kf-muted', 'data-kf': 'warning-from', text: warningFrom(lvl, notes) })
    ]));
    return lvl;
  }

  /* The other views (the answer, the print page, the start page): a warning
   * sign from a check-in's note is newer than the answer they show, so it
   * stands above them too (#later-warning in index.html), with the way to
   * the journal.  Kept for the visit in sessionStorage. */
  var LATER = 'knotfinder.later-warning.v1';
  function alertElsewhere(lvl, r, notes) {
    var box = $('later-warning');
    var o = lvl ? { level: lvl, title: title(lvl, r), lines: warningLines(r), at: notes[0].at } : null;
    try { if (o) sessionStorage.setItem(LATER, JSON.stringify(o)); else sessionStorage.removeItem(LATER); } catch (e) { /* no memory */ }
    drawLater(box, o);
  }
  function drawLater(box, o) {
    if (!box) return;
    clear(box);
    box.hidden = !o;
    if (!o) return;
    box.appendChild(h('div', { 'class': 'kf-banner kf-level-' + o.level, 'data-level': o.level, role: 'alert' }, [
      h('p', { 'class': 'kf-banner-title', text: o.title }),
      o.level === 'emergency' ? KF.dom.callBox() : null,
      (o.lines || []).length ? h('p', { text: o.lines[0] }) : null,
      h('p', { 'class': 'kf-muted' }, ['From your check-in of ' + dayText(o.at) + ', newer than anything below. ',
        h('a', { href: '#journal', text: 'Open the journal' })])
    ]));
  }
  function laterFromMemory() {
    var o = null;
    try { o = JSON.parse(sessionStorage.getItem(LATER) || 'null'); } catch (e) { o = null; }
    if (o && typeof o === 'object' && LEVEL_TITLE[o.level] && o.level !== 'mention_to_doctor') drawLater($('later-warning'), o);
  }

  function build() {
    var body = $('j-body');
    if (!body || body.getAttribute('data-built')) return;
    body.setAttribute('data-built', 'true');
    /* A warning sign in the latest description comes before everything
     * else here too (renderPlan fills it). */
    body.appendChild(h('div', { id: 'j-warning', 'data-kf': 'journal-warning', hidden: true }));
    body.appendChild(h('p', { 'class': 'kf-lead kf-j-lead', text: 'Log how the knot feels and what you did for it. ' +
      'When relief fades within hours, the work reached the sore spot but not what keeps it coming back, ' +
      'so the plan moves on to the next likely cause.' }));
    body.appendChild(h('div', { 'class': 'kf-actions kf-j-top' }, [
      h('button', { type: 'button', id: 'j-back', 'class': 'kf-btn', text: 'Back', onclick: back })
    ]));
    body.appendChild(h('section', { 'class': 'kf-card', id: 'j-plan', 'aria-labelledby': 'jp-title', 'aria-busy': 'true' }, [
      h('h2', { id: 'jp-title', text: 'Your plan, revised by your check-ins' }),
      h('div', { id: 'jp-body' }, [h('p', { 'class': 'kf-muted', text: 'Loading…' })])
    ]));
    body.appendChild(h('section', { 'class': 'kf-card', id: 'j-form-card', 'aria-labelledby': 'jf-title' }, [
      h('h2', { id: 'jf-title', tabindex: '-1', text: 'How is it now?' }),
      h('div', { id: 'jf-holder' })
    ]));
    body.appendChild(h('section', { 'class': 'kf-card', id: 'j-chart', 'aria-labelledby': 'jc-title', 'aria-busy': 'true' }, [
      h('h2', { id: 'jc-title', text: 'Pain over time' }),
      h('div', { id: 'jc-body' }, [h('p', { 'class': 'kf-muted', text: 'Loading…' })])
    ]));
    body.appendChild(h('section', { 'class': 'kf-card', id: 'j-list', 'aria-labelledby': 'jl-title', 'aria-busy': 'true' }, [
      h('h2', { id: 'jl-title', text: 'Recent check-ins' }),
      h('div', { id: 'jl-body' }, [h('p', { 'class': 'kf-muted', text: 'Loading…' })])
    ]));
    body.appendChild(h('section', { 'class': 'kf-card', id: 'j-kept', 'aria-labelledby': 'jk-title' }, [
      h('h2', { id: 'jk-title', text: 'What is kept, and forgetting it' }),
      h('div', { id: 'jk-body' }, [h('p', { 'class': 'kf-muted', text: 'Loading…' })])
    ]));
  }

  /* ---- forgetting ----------------------------------------------------------- */

  /* Deletes for good after asking; then reloads the view.  `what` says it in
   * words for the question and the status line. */
  function forget(path, what) {
    if (!window.confirm('Delete ' + what + ' from your journal for good? This cannot be undone.')) return;
    api(path, undefined, 'DELETE').then(function () {
      var say = $('status');
      if (say) say.textContent = 'Deleted ' + what + '.';
      document.body.setAttribute('data-journal', 'loading');
      return refresh();
    }, function (e) {
      window.alert('Nothing was deleted: ' + e.message + '.');
    });
  }

  function renderKept(list, about) {
    var box = $('jk-body');
    clear(box);
    /* The file's path is one long word: it breaks anywhere (journal.css),
     * so that it cannot push the page wider than a phone. */
    var where = about.data && about.data.path ? [' in ', h('code', { 'class': 'kf-j-path', text: about.data.path })] : [];
    box.appendChild(h('p', null, ['knotfinder keeps each consultation (your words, what it understood and the date) ' +
      'and each check-in in the journal file on the computer that runs it'].concat(where, ['. Nothing is sent anywhere else.'])));
    if (list.error) {
      box.appendChild(h('p', { 'class': 'kf-error', text: 'The journal could not be loaded: ' + list.error.message + '.' }));
      return;
    }
    var cons = (list.data.consultations || []).slice().reverse();
    if (!cons.length) {
      box.appendChild(h('p', { id: 'jk-none', 'class': 'kf-muted', text: 'No consultation is kept.' }));
    } else {
      box.appendChild(h('h3', { text: 'Consultations' }));
      box.appendChild(h('ol', { 'class': 'kf-j-consultations', id: 'jk-items' }, cons.map(function (c) {
        var words = c.text ? '“' + (c.text.length > 120 ? c.text.slice(0, 117) + '…' : c.text) + '”' : 'The body map only.';
        return h('li', { 'class': 'kf-j-consultation', 'data-id': String(c.id) }, [
          h('time', { datetime: c.at, text: when(c.at) }), ' ',
          h('span', { 'class': 'kf-j-words', text: words }), ' ',
          h('button', { type: 'button', 'class': 'kf-btn kf-link kf-j-forget',
                        'aria-label': 'Delete the consultation of ' + when(c.at),
                        text: 'Delete', onclick: function () {
                          forget('/api/v1/journal/consultations/' + c.id, 'the consultation of ' + when(c.at));
                        } })
        ]);
      })));
    }
    var any = cons.length || (list.data.checkins || []).length;
    box.appendChild(h('div', { 'class': 'kf-actions' }, [
      h('button', { type: 'button', id: 'jk-all', 'class': 'kf-btn', disabled: !any,
                    text: 'Delete everything in my journal', onclick: function () {
                      forget('/api/v1/journal', 'every consultation and check-in');
                    } })
    ]));
  }

  /* ---- the check-in form -------------------------------------------------- */

  function errLine(key) {
    return h('p', { 'class': 'kf-field-error', id: 'jf-' + key + '-err', hidden: true });
  }

  /* The techniques to offer: the revised plan's steps, else the plan on the
   * result page, then the usual things anyone does; plus a prefilled one. */
  function didOptions() {
    var seen = {}, out = [];
    var plan = st.plan && st.plan.result ? st.plan.result.plan :
      (KF.App && KF.App.state && KF.App.state.result ? KF.App.state.result.plan : null);
    (plan || []).forEach(function (s) {
      if (!s.technique || seen[s.technique] || s.kind === 'doctor') return;
      seen[s.technique] = true;
      out.push({ id: s.technique, name: s.name || words(s.technique), plan: true });
    });
    if (st.prefill && st.prefill.technique && !seen[st.prefill.technique]) {
      seen[st.prefill.technique] = true;
      out.unshift({ id: st.prefill.technique, name: st.prefill.name || techName(st.prefill.technique), plan: true });
    }
    GENERIC.forEach(function (g) { if (!seen[g.id]) { seen[g.id] = true; out.push(g); } });
    return out;
  }

  function buildForm(regions) {
    var holder = $('jf-holder');
    clear(holder);
    var pre = st.prefill;

    /* Pain now: a number box (what is sent, and what a screen reader uses)
     * with a slider beside it for a thumb on a phone. */
    var num = h('input', { type: 'number', id: 'jf-pain', name: 'pain', min: '0', max: '10', step: '1',
                           inputmode: 'numeric', 'aria-describedby': 'jf-pain-words jf-pain-err', required: true });
    var slider = h('input', { type: 'range', id: 'jf-pain-range', min: '0', max: '10', step: '1', value: '0',
                              'class': 'kf-unset', tabindex: '-1', 'aria-hidden': 'true',
                              'aria-label': 'Pain now, slider' });
    var out = h('output', { id: 'jf-pain-words', 'for': 'jf-pain', 'class': 'kf-pain-words', text: 'not given yet' });
    function showPain() {
      var v = num.value.trim(), n = Number(v);
      var ok = v !== '' && /^\d+$/.test(v) && n >= 0 && n <= 10;
      out.textContent = v === '' ? 'not given yet' : ok ? n + ' out of 10: ' + painWords(n) : v + ' is outside 0 to 10';
      if (ok) { slider.value = String(n); slider.classList.remove('kf-unset'); }
    }
    num.addEventListener('input', showPain);
    slider.addEventListener('input', function () {
      num.value = slider.value;
      slider.classList.remove('kf-unset');
      showPain();
      fieldError('pain', '');
    });

    var where = h('select', { id: 'jf-where', name: 'where', 'aria-describedby': 'jf-where-err' },
                  [h('option', { value: '', text: 'Not this time' })]);
    ['back', 'front'].forEach(function (view) {
      var rs = regions.filter(function (r) { return (r.view || 'back') === view; });
      if (!rs.length) return;
      where.appendChild(h('optgroup', { label: view === 'back' ? 'On the back' : 'On the front' }, rs.map(function (r) {
        return h('option', { value: r.id, text: sentence(r.label) });
      })));
    });
    var side = h('select', { id: 'jf-side', name: 'side', 'aria-describedby': 'jf-where-err' }, [
      h('option', { value: '', text: 'Not said' }),
      h('option', { value: 'left', text: 'Left' }),
      h('option', { value: 'right', text: 'Right' }),
      h('option', { value: 'both', text: 'Both' })
    ]);
    var sideBox = h('div', { 'class': 'kf-j-side', id: 'jf-side-box' }, [
      h('label', { 'for': 'jf-side', 'class': 'kf-label', text: 'Which side?' }), side
    ]);
    function sideShown() {
      var r = st.regionById[where.value];
      sideBox.hidden = !(r && r.sided);
      if (sideBox.hidden) side.value = '';
    }
    where.addEventListener('change', sideShown);

    var did = h('fieldset', { id: 'jf-did', 'class': 'kf-j-checks', 'aria-describedby': 'jf-did-err' },
                [h('legend', { text: 'What did you do for it? Tick all that apply.' })]);
    didOptions().forEach(function (o, i) {
      var cb = h('input', { type: 'checkbox', id: 'jf-did-' + i, name: 'did', value: o.id, 'data-technique': o.id });
      if (pre && pre.technique === o.id) cb.checked = true;
      did.appendChild(h('div', { 'class': 'kf-check' }, [cb, h('label', { 'for': 'jf-did-' + i, text: o.name })]));
    });

    var relief = h('input', { type: 'number', id: 'jf-relief', name: 'relief_hours', min: '0', step: 'any',
                              inputmode: 'decimal', 'aria-describedby': 'jf-relief-hint jf-relief-err' });

    var worse = h('fieldset', { id: 'jf-worse', 'class': 'kf-j-checks kf-j-row', 'aria-describedby': 'jf-worse-err' },
                  [h('legend', { text: 'Did anything leave it worse afterwards?' })]);
    WORSE.forEach(function (w, i) {
      var rb = h('input', { type: 'radio', id: 'jf-worse-' + i, name: 'worse_after', value: w.id });
      if (!w.id) rb.checked = true;
      worse.appendChild(h('div', { 'class': 'kf-check' }, [rb, h('label', { 'for': 'jf-worse-' + i, text: w.label })]));
    });

    var before = h('input', { type: 'number', id: 'jf-before', name: 'pain_before', min: '0', max: '10', step: '1',
                              inputmode: 'numeric', 'aria-describedby': 'jf-before-err' });
    var note = h('textarea', { id: 'jf-note', name: 'note', rows: '2', maxlength: '2000', 'aria-describedby': 'jf-note-err' });

    var form = h('form', { id: 'jf', 'class': 'kf-form kf-j-form', novalidate: true, 'aria-labelledby': 'jf-title' }, [
      pre ? h('p', { id: 'jf-prefilled', 'class': 'kf-j-prefilled' }, [
        pre.timer ? 'You just finished ' : 'About ', h('strong', { text: pre.name || techName(pre.technique) }),
        pre.timer ? '. How does it feel now? Come back later to say how long the relief lasted.' :
          ': how does it feel now, and how long did the relief last?'
      ]) : null,
      h('p', { id: 'jf-err', 'class': 'kf-field-error', role: 'alert', hidden: true }),

      h('label', { 'for': 'jf-pain', 'class': 'kf-label', text: 'Pain now, from 0 (none) to 10 (the worst)' }),
      h('div', { 'class': 'kf-j-pain' }, [num, out, slider]),
      errLine('pain'),

      h('div', { 'class': 'kf-j-where' }, [
        h('div', {}, [h('label', { 'for': 'jf-where', 'class': 'kf-label', text: 'Where does it hurt most?' }), where]),
        sideBox
      ]),
      errLine('where'),

      did,
      errLine('did'),

      h('label', { 'for': 'jf-relief', 'class': 'kf-label', text: 'How long did the relief last, in hours?' }),
      h('p', { id: 'jf-relief-hint', 'class': 'kf-hint', text: '0 if it brought no relief; 0.5 for half an hour. ' +
        'Not sure yet? Leave it empty and log it later: relief logged on its own counts for what you did last.' }),
      relief,
      errLine('relief'),

      worse,
      errLine('worse'),

      h('details', { 'class': 'kf-j-more' }, [
        h('summary', { text: 'More (optional): pain before, a note' }),
        h('label', { 'for': 'jf-before', 'class': 'kf-label', text: 'Pain before you did it, 0 to 10' }),
        before,
        errLine('before'),
        h('label', { 'for': 'jf-note', 'class': 'kf-label', text: 'A note for yourself' }),
        note,
        errLine('note')
      ]),

      h('div', { 'class': 'kf-actions' }, [
        h('button', { type: 'submit', id: 'jf-save', 'class': 'kf-btn kf-primary', text: 'Save this check-in' }),
        pre ? h('button', { type: 'button', id: 'jf-unfill', 'class': 'kf-btn kf-link', text: 'Clear the form',
                            onclick: function () { st.prefill = null; buildForm(regions); } }) : null
      ]),
      h('p', { id: 'jf-saved', 'class': 'kf-j-saved', role: 'status' })
    ]);
    form.addEventListener('submit', function (ev) { ev.preventDefault(); submit(form); });
    holder.appendChild(form);

    /* Where it hurts: the step's own spot when the form was filled in for
     * one, else the place of the kept consultation (the plan is revised
     * from it), so nobody has to find it again among twenty places; "Not
     * this time" stays in the list to leave it out. */
    var spot = pre && pre.where && st.regionById[pre.where] ? pre : keptSpot(regions);
    if (spot) {
      where.value = spot.where;
      sideShown();
      if (!sideBox.hidden && spot.side) side.value = spot.side;
    }
    sideShown();
  }

  /* The level of the warning above the form, or ''. */
  function shownWarning() {
    var top = $('j-warning');
    var b = top && !top.hidden ? top.querySelector('[data-level]') : null;
    return b ? b.getAttribute('data-level') : '';
  }

  function fieldError(key, msg) {
    var line = $('jf-' + key + '-err');
    if (!line) return null;
    line.textContent = msg || '';
    line.hidden = !msg;
    var input = key === 'did' ? $('jf-did') : key === 'worse' ? $('jf-worse') : $('jf-' + key);
    if (input) {
      if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    }
    if (key === 'where' && $('jf-side')) {
      if (msg) $('jf-side').setAttribute('aria-invalid', 'true'); else $('jf-side').removeAttribute('aria-invalid');
    }
    return input;
  }
  function clearErrors() {
    ['pain', 'where', 'did', 'relief', 'worse', 'before', 'note', ''].forEach(function (k) {
      if (k) fieldError(k, '');
      else { var g = $('jf-err'); g.textContent = ''; g.hidden = true; }
    });
  }

  /* Which form field the server's sentence is about: it starts with the
   * field's name ('pain' must..., --where: ..., did: ..., relief hours ...). */
  function fieldOf(msg) {
    var m = String(msg || '').replace(/^['"\-\s]+/, '').match(/^([a-z_]+)/i);
    if (!m) return '';
    var k = m[1].toLowerCase();
    if (k === 'pain' && /^['"]?pain[_ ]before/i.test(msg)) k = 'pain_before';
    return FIELD_OF[k] || '';
  }
  /* The server's sentence, without the command line's "--" before a name. */
  function tidy(msg) {
    msg = String(msg || '').replace(/^--/, '').replace(/\s*\(`knotfinder learn` lists the techniques\)/, '');
    msg = msg.replace(/^'([a-z_]+)'/, function (all, name) { return words(name); });
    return sentence(msg);
  }

  /* A number box: '' when empty, NaN when the browser could not read it. */
  function numberOf(input) {
    if (input.validity && input.validity.badInput) return NaN;
    var v = input.value.trim();
    return v === '' ? '' : Number(v);
  }

  function submit(form) {
    if (form.getAttribute('aria-busy') === 'true') return;
    clearErrors();
    $('jf-saved').textContent = '';
    var body = {};
    var pain = numberOf($('jf-pain'));
    if (pain !== '') body.pain = pain;
    /* Only what the server cannot see: a box the browser could not read. */
    if (typeof pain === 'number' && isNaN(pain)) return showFieldError('pain', 'Pain must be a whole number from 0 to 10.');
    var before = numberOf($('jf-before'));
    if (typeof before === 'number' && isNaN(before)) return showFieldError('before', 'Pain before must be a whole number from 0 to 10.');
    if (before !== '') body.pain_before = before;
    var relief = numberOf($('jf-relief'));
    if (typeof relief === 'number' && isNaN(relief)) return showFieldError('relief', 'Give the hours as a number, such as 2 or 0.5.');
    if (relief !== '') body.relief_hours = relief;
    var where = $('jf-where').value;
    if (where) {
      body.where = where;
      if ($('jf-side').value && !$('jf-side-box').hidden) body.side = $('jf-side').value;
    }
    var did = Array.prototype.filter.call(form.querySelectorAll('input[name="did"]'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    if (did.length) body.did = did;
    var worse = form.querySelector('input[name="worse_after"]:checked');
    if (worse && worse.value) body.worse_after = [worse.value];
    var note = $('jf-note').value.trim();
    if (note) body.note = note;

    form.setAttribute('aria-busy', 'true');
    $('jf-save').disabled = true;
    say('Saving…');
    var had = shownWarning();
    api('/api/v1/journal/checkins', body).then(function () {
      form.removeAttribute('aria-busy');
      $('jf-save').disabled = false;
      st.prefill = null;
      say('');
      return refresh().then(function () {
        /* The form is new after a refresh: say so on the new one. */
        var saved = $('jf-saved');
        if (saved) saved.textContent = 'Saved. The chart, the list and the plan below now include it.';
        /* A warning sign this check-in brought: it is what to read now. */
        var now = shownWarning();
        if (now && now !== had) {
          if (saved) saved.textContent = 'Saved. What you wrote is a warning sign: read the warning at the top first.';
          var w = $('j-warning-box');
          if (w) { w.scrollIntoView({ block: 'start' }); w.focus({ preventScroll: true }); }
        }
        document.body.setAttribute('data-journal-saved', String(Number(document.body.getAttribute('data-journal-saved') || 0) + 1));
      });
    }, function (e) {
      form.removeAttribute('aria-busy');
      $('jf-save').disabled = false;
      say('');
      var key = e.status === 422 ? fieldOf(e.message) : '';
      if (key) showFieldError(key, tidy(e.message));
      else showFormError(e.status === 422 ? tidy(e.message) : 'Not saved: ' + e.message + '.');
    });
  }

  function showFieldError(key, msg) {
    var input = fieldError(key, msg);
    if (key === 'before' || key === 'note') {
      var more = document.querySelector('#jf .kf-j-more');
      if (more) more.open = true;
    }
    if (input && input.focus) {
      if (input.tagName === 'FIELDSET') { var first = input.querySelector('input'); if (first) first.focus(); }
      else input.focus();
    }
  }
  function showFormError(msg) {
    var g = $('jf-err');
    g.textContent = msg;
    g.hidden = false;
  }

  /* ---- the revised plan ---------------------------------------------------- */

  var LEVEL_TITLE = {
    emergency: 'Call emergency services now',
    doctor_soon: 'See a doctor in the next few days',
    mention_to_doctor: 'Self-care is fine — mention this to your doctor'
  };
  /* The level's title, as soon as the rule that fired asks (triage.when). */
  function title(lvl, r) {
    var t = r && r.triage;
    if (lvl === 'doctor_soon' && t && (t.when === 'today' || t.when === 'now')) return 'See a doctor today';
    if (lvl === 'doctor_soon' && t && t.when === 'today_or_tomorrow') return 'See a doctor today or tomorrow';
    return LEVEL_TITLE[lvl];
  }
  /* Whether sentence a adds nothing to title b: every word of b of four
   * letters or more is in a, and a has at most four words more. */
  function sameWords(a, b) {
    var wa = String(a).toLowerCase().match(/[a-z]+/g) || [], wb = String(b).toLowerCase().match(/[a-z]+/g) || [];
    var keyB = wb.filter(function (w) { return w.length >= 4; });
    var extra = wa.filter(function (w) { return wb.indexOf(w) < 0 && ['the', 'to', 'but', 'at', 'your', 'next', 'visit', 'try', 'this'].indexOf(w) < 0; });
    return keyB.length > 0 && keyB.every(function (w) { return wa.indexOf(w) >= 0; }) && extra.length <= 4;
  }
  var CHANGE_TAG = {
    cause_up: 'more likely', cause_down: 'less likely', leader: 'new leader', finding: 'learnt',
    plan_add: 'new step', plan_drop: 'step removed', plan_demote: 'moved down', keep: 'keep it', none: 'no change yet'
  };

  function renderPlan(res) {
    var box = $('jp-body');
    clear(box);
    st.timers.forEach(function (t) { t.stop(); });
    st.timers = [];
    $('j-plan').removeAttribute('aria-busy');
    if (res.error) {
      topWarning('', {}, null);
      if (res.error.status === 404) {
        var shown = KF.App && KF.App.state && KF.App.state.result;
        box.appendChild(h('div', { 'class': 'kf-j-empty', id: 'jp-none' }, [
          h('p', { text: shown ?
            'There is no plan to revise yet: the description on this page was not kept in the journal ' +
            '(the server may run with saving turned off). Your check-ins are still kept.' :
            'There is no plan to revise yet, because nothing has been described. ' +
            'Start by telling knotfinder where it hurts; your check-ins will then show which steps work ' +
            'and the plan will change with them.' }),
          h('button', { type: 'button', 'class': 'kf-btn kf-primary', id: 'jp-describe', text: 'Describe the pain first',
                        onclick: toStart })
        ]));
      } else {
        box.appendChild(h('p', { 'class': 'kf-error', text: 'The revised plan could not be loaded: ' + res.error.message + '.' }));
      }
      return;
    }
    var v = res.data, r = v.result || {};
    var before = {};
    (v.before || []).forEach(function (b) { before[b.id] = b.score; });
    /* "before" lists the consultation's own top causes; a cause that climbed
     * from further down has its old score in its change. */
    (v.changes || []).forEach(function (c) {
      if (c.cause && typeof c.before === 'number' && c.before >= 0 && before[c.cause] === undefined &&
          (c.kind === 'cause_up' || c.kind === 'cause_down')) before[c.cause] = c.before;
    });
    var used = Number(v.checkins_used) || 0;
    /* With check-ins, what changed says the method; the lead is then left
     * out on a phone (journal.css), so the plan starts higher. */
    var jb = $('j-body');
    if (jb) { if (used) jb.setAttribute('data-checkins', String(used)); else jb.removeAttribute('data-checkins'); }
    box.appendChild(h('p', { 'class': 'kf-muted', id: 'jp-basis' }, [
      'From your description of ', v.consultation && v.consultation.at ? dayText(v.consultation.at) : 'your last visit',
      used ? ' and ' + used + (used === 1 ? ' check-in.' : ' check-ins.') : ', with no check-ins yet.'
    ]));
    var lvl = r.triage ? r.triage.level : 'self_care';
    /* An urgent warning stands above the form (topWarning); said once. */
    var onTop = topWarning(lvl, r, v.note_warnings);
    if (LEVEL_TITLE[lvl] && !onTop) {
      var urgent = lvl === 'emergency' || lvl === 'doctor_soon';
      box.appendChild(h('div', { 'class': 'kf-banner kf-level-' + lvl, 'data-level': lvl, role: urgent ? 'alert' : null }, [
        h('p', { 'class': 'kf-banner-title', text: title(lvl, r) }),
        /* a message that only says the title again ("Self-care is fine to
         * try, but mention this to your doctor ...") is not shown */
        r.triage.message && !sameWords(r.triage.message, title(lvl, r)) ? h('p', { text: r.triage.message }) : null
      ]));
    }

    /* What changed and why, and the causes now: after the steps, so that on
     * a phone the first step is on the first screen (the why is right below). */
    var later = [];
    var changes = v.changes || [];
    var warned = {}, settled = {};
    (v.note_warnings || []).forEach(function (w) { warned[w.finding] = true; });
    (v.note_settled || []).forEach(function (w) { settled[w.finding] = true; });
    later.push(h('h3', { id: 'jp-why-title', text: 'What changed and why' }));
    if (!changes.length) {
      later.push(h('p', { id: 'jp-why-none', text: 'Nothing has changed yet. Try the first steps, then log the pain and how long the relief lasted.' }));
    } else {
      later.push(h('ul', { 'class': 'kf-j-changes', id: 'jp-why', 'aria-labelledby': 'jp-why-title' }, changes.map(function (c) {
        var text = c.text || '';
        var settledNow = c.kind === 'finding' && settled[c.finding] && / is settled/.test(text);
        var warnNow = c.kind === 'finding' && warned[c.finding] && !settledNow;
        var tag = warnNow
          ? h('span', { 'class': 'kf-tag kf-j-tag-warning', text: 'warning sign' })
          : settledNow ? h('span', { 'class': 'kf-tag kf-j-tag-settled', text: 'settled' })
          : h('span', { 'class': 'kf-tag kf-j-tag-' + c.kind, text: CHANGE_TAG[c.kind] || words(c.kind) });
        /* a tag that the sentence says itself ("less likely (69% -> 53%)")
         * is not said twice */
        if (!settledNow && !warnNow && text.toLowerCase().indexOf(tag.textContent) >= 0) tag = null;
        return h('li', { 'data-kind': c.kind, 'data-cause': c.cause || null, 'data-technique': c.technique || null,
                         'data-finding': c.finding || null }, [tag, tag ? ' ' : '', text]);
      })));
    }

    var causes = r.causes || [];
    if (causes.length) {
      later.push(h('h3', { id: 'jp-causes-title', text: 'Likely causes now, most likely first' }));
      later.push(h('ol', { 'class': 'kf-j-causes', id: 'jp-causes', 'aria-labelledby': 'jp-causes-title' }, causes.map(function (c) {
        var now = pct(c.score), was = before[c.id] !== undefined ? pct(before[c.id]) : null;
        var move = was === null ? 'new on the list' : now > was ? 'up from ' + was + '%' : now < was ? 'down from ' + was + '%' : 'unchanged';
        var dir = was === null ? 'new' : now > was ? 'up' : now < was ? 'down' : 'same';
        return h('li', { 'data-cause': c.id, 'data-move': dir }, [
          h('span', { 'class': 'kf-j-cause-name', text: sentence(c.name || words(c.id)) }),
          c.side ? h('span', { 'class': 'kf-tag', text: sideText(c.side) }) : null,
          h('span', { 'class': 'kf-j-score' }, [h('strong', { text: now + '%' }), ' ',
            h('span', { 'class': 'kf-j-move kf-j-move-' + dir }, [
              h('span', { 'aria-hidden': 'true', text: dir === 'up' ? '▲ ' : dir === 'down' ? '▼ ' : '' }), move
            ])])
        ]);
      })));
    }

    /* The steps now: the revision's own first steps, the ones the CLI's
     * `plan` prints under "Do this first" and the changes above speak of;
     * the rest of the plan folded below them (`plan --full` in the CLI). */
    var plan = r.plan || [];
    var byId = {};
    plan.forEach(function (s) { if (s.technique) byId[s.technique] = s; });
    var first = Array.isArray(r.first_steps) ? r.first_steps.map(function (f) {
      var s = byId[f.technique] || f;
      return f['for'] && !s['for'] ? Object.assign({}, s, { 'for': f['for'] }) : s;
    }) : plan.slice(0, 3);
    var inFirst = {};
    first.forEach(function (s) { inFirst[s.technique] = true; });
    var rest = plan.filter(function (s) { return !inFirst[s.technique]; });
    if (first.length) {
      box.appendChild(h('h3', { id: 'jp-steps-title', text: 'The plan now' }));
      box.appendChild(h('ol', { 'class': 'kf-plan kf-j-plan', id: 'jp-steps', 'aria-labelledby': 'jp-steps-title' },
        first.map(function (s) { return planStep(r, s); })));
    }
    later.forEach(function (x) { box.appendChild(x); });
    if (rest.length) {
      box.appendChild(h('details', { 'class': 'kf-j-more-steps', id: 'jp-more' }, [
        h('summary', { text: 'More steps, if these do not help (' + rest.length + ')' }),
        h('ol', { 'class': 'kf-plan kf-j-plan', id: 'jp-more-steps' }, rest.map(function (s) { return planStep(r, s); }))
      ]));
    }
    if (r.disclaimer) box.appendChild(h('p', { 'class': 'kf-disclaimer', text: r.disclaimer }));
  }

  function causeName(r, id) {
    var c = (r.causes || []).filter(function (x) { return x.id === id; })[0];
    return c ? c.name : words(id);
  }

  function timerNames(s) {
    var id = s.technique || '', kind = s.kind || '';
    if (/cold|ice/.test(id)) return { work: 'Cold pack on', rest: 'Cold pack off' };
    if (/heat|warm/.test(id)) return { work: 'Warmth on', rest: 'Warmth off' };
    if (kind === 'stretch') return { work: 'Stretch and hold', rest: 'Rest' };
    if (kind === 'release') return { work: 'Press and hold', rest: 'Rest' };
    return { work: 'Work', rest: 'Rest' };
  }

  function planStep(r, s) {
    var name = s.name || words(s.technique);
    var li = h('li', { 'class': 'kf-step kf-j-step', 'data-technique': s.technique, 'data-side': s.side || '' }, [
      h('div', { 'class': 'kf-step-head' }, [
        h('h4', { text: name }),
        s.kind ? h('span', { 'class': 'kf-tag', text: words(s.kind) }) : null,
        s.side ? h('span', { 'class': 'kf-tag', text: sideText(s.side) }) : null
      ]),
      s['for'] ? h('p', { 'class': 'kf-for' }, ['For ', h('strong', { text: causeName(r, s['for']) })]) : null,
      s.steps && s.steps.length ? h('details', { 'class': 'kf-j-how' }, [
        h('summary', { text: 'How to do it' }),
        h('ol', { 'class': 'kf-how' }, s.steps.map(function (x) { return h('li', { text: x }); }))
      ]) : null,
      s.dose ? h('p', { 'class': 'kf-dose' }, [h('strong', { text: 'How much: ' }), s.dose]) : null,
      s.for_you ? h('p', { 'class': 'kf-for-you', 'data-kf': 'for-you' }, [h('strong', { text: 'For you: ' }), s.for_you]) : null
    ]);
    /* The timer right under the dose, its care note right under it: on a
     * phone the first step's Start is then on the first screen. */
    if (s.timer && Number(s.timer.work_s) > 0 && KF.Timer) {
      var n = timerNames(s);
      n.name = name;
      st.timers.push(KF.Timer.create(li, s.timer, n));
    }
    if (s.caution) li.appendChild(h('p', { 'class': 'kf-caution' }, [h('strong', { text: 'Careful: ' }), s.caution]));
    li.appendChild(h('button', { type: 'button', 'class': 'kf-btn kf-small kf-j-log',
                                 'aria-label': 'Log how it went: ' + name, text: 'Log how it went',
                                 onclick: function () { logStep(s.technique, name, s.side, r); } }));
    return li;
  }

  /* ---- the chart ------------------------------------------------------------ */

  /* The server's SVG, parsed as XML (never as HTML) and cleaned before it
   * joins the page: no scripts, no foreign content, no event handlers, no
   * links to elsewhere; ids are prefixed so they cannot clash with ours. */
  var SVG_NS = 'http://www.w3.org/2000/svg';
  function importSvg(text) {
    var doc;
    try { doc = new DOMParser().parseFromString(String(text || ''), 'image/svg+xml'); } catch (e) { return null; }
    var root = doc && doc.documentElement;
    if (!root || root.namespaceURI !== SVG_NS || root.localName !== 'svg' ||
        doc.getElementsByTagName('parsererror').length) return null;
    var all = [root].concat(Array.prototype.slice.call(root.getElementsByTagName('*')));
    all.forEach(function (el) {
      if (el.namespaceURI !== SVG_NS || /^(script|foreignObject|iframe|image|use|a|style|animate|set|animateTransform|animateMotion)$/i.test(el.localName)) {
        if (el.parentNode) el.parentNode.removeChild(el);
        return;
      }
      Array.prototype.slice.call(el.attributes).forEach(function (a) {
        var n = a.name.toLowerCase();
        if (n.slice(0, 2) === 'on' || n === 'style' || /href$/.test(n) ||
            /url\(\s*['"]?(?!#)/i.test(a.value) || /javascript:/i.test(a.value)) el.removeAttribute(a.name);
        else if (n === 'id') el.setAttribute('id', 'jc-svg-' + a.value);
        else if (n === 'aria-labelledby' || n === 'aria-describedby') {
          el.setAttribute(a.name, a.value.split(/\s+/).map(function (x) { return x ? 'jc-svg-' + x : x; }).join(' '));
        }
      });
    });
    root.removeAttribute('width');
    root.removeAttribute('height');
    root.setAttribute('class', 'kf-j-svg');
    root.setAttribute('focusable', 'false');
    return document.importNode(root, true);
  }

  function renderChart(res) {
    var box = $('jc-body');
    clear(box);
    $('j-chart').removeAttribute('aria-busy');
    if (res.error) {
      box.appendChild(h('p', { 'class': 'kf-error', text: 'The chart could not be loaded: ' + res.error.message + '.' }));
      return;
    }
    var days = (res.data.days || []).filter(function (d) { return d.n > 0; });
    var svg = importSvg(res.data.svg);
    var fig = h('figure', { 'class': 'kf-j-figure', id: 'jc-figure' });
    /* On a phone the chart keeps a readable size and scrolls sideways in
     * its own box (the page itself does not), starting at the newest day. */
    var scroller = h('div', { 'class': 'kf-j-scroll', id: 'jc-scroll' });
    if (svg) { scroller.appendChild(svg); fig.appendChild(scroller); }
    else fig.appendChild(h('p', { 'class': 'kf-muted', text: 'The chart could not be drawn; the numbers are below.' }));
    var cap;
    if (!days.length) cap = 'No check-ins yet: the chart fills in as you log the pain.';
    else {
      var last = days[days.length - 1];
      cap = 'Daily average pain over ' + days.length + (days.length === 1 ? ' day' : ' days') + ' with check-ins; ' +
        'the latest, ' + dayText(last.day + 'T12:00:00Z') + ', averaged ' + (Math.round(last.mean * 10) / 10) + ' out of 10. ' +
        'A triangle under a day means something was done for it.';
    }
    fig.appendChild(h('figcaption', { id: 'jc-caption', text: cap }));
    box.appendChild(fig);
    fitScroller();
    if (days.length) {
      box.appendChild(h('details', { 'class': 'kf-j-numbers' }, [
        h('summary', { text: 'The numbers' }),
        h('table', { 'class': 'kf-massage kf-j-table' }, [
          h('thead', {}, [h('tr', {}, ['Day', 'Check-ins', 'Average', 'Lowest', 'Highest', 'Something done'].map(function (t) {
            return h('th', { scope: 'col', text: t });
          }))]),
          h('tbody', {}, days.slice(-31).reverse().map(function (d) {
            return h('tr', {}, [
              h('th', { scope: 'row', text: d.day }),
              h('td', { text: String(d.n) }),
              h('td', { text: String(Math.round(d.mean * 10) / 10) }),
              h('td', { text: String(d.min) }),
              h('td', { text: String(d.max) }),
              h('td', { text: d.did ? 'yes' : 'no' })
            ]);
          }))
        ])
      ]));
    }
  }

  /* The chart's box takes the keyboard focus (to scroll with the arrow
   * keys) only when it is narrower than the chart. */
  function fitScroller() {
    var sc = $('jc-scroll');
    if (!sc || !sc.offsetParent) return;
    var scrolls = sc.scrollWidth > sc.clientWidth + 1;
    if (scrolls) {
      sc.setAttribute('tabindex', '0');
      sc.setAttribute('role', 'region');
      sc.setAttribute('aria-label', 'Pain chart; scroll sideways for earlier days');
      sc.scrollLeft = sc.scrollWidth;
    } else {
      sc.removeAttribute('tabindex');
      sc.removeAttribute('role');
      sc.removeAttribute('aria-label');
    }
  }

  /* ---- the list of check-ins ------------------------------------------------ */

  var SHOW = 30;
  function renderList(res) {
    var box = $('jl-body');
    clear(box);
    $('j-list').removeAttribute('aria-busy');
    if (res.error) {
      box.appendChild(h('p', { 'class': 'kf-error', text: 'The check-ins could not be loaded: ' + res.error.message + '.' }));
      return;
    }
    var all = (res.data.checkins || []).slice().reverse();   /* newest first */
    var total = Number(res.data.total_checkins) || all.length;
    if (!all.length) {
      box.appendChild(h('p', { id: 'jl-none', 'class': 'kf-muted', text: 'No check-ins yet. The first one goes in the form above.' }));
      return;
    }
    if (total > SHOW) box.appendChild(h('p', { 'class': 'kf-muted', text: 'The latest ' + Math.min(SHOW, all.length) + ' of ' + total + '.' }));
    box.appendChild(h('ol', { 'class': 'kf-j-checkins', id: 'jl-items' }, all.slice(0, SHOW).map(checkinItem)));
  }

  function checkinItem(c) {
    var bits = [];
    if (c.where) bits.push(c.side ? sentence(sideText(c.side)) + ': ' + regionLabel(c.where) : sentence(regionLabel(c.where)));
    var did = (c.did || []).map(techName);
    var details = [];
    if (did.length) details.push('Did: ' + did.join(', ') + (c.stopped_early ? ' (stopped early)' : '') + '.');
    if (c.relief_hours !== null && c.relief_hours !== undefined) {
      details.push(Number(c.relief_hours) > 0 ? 'Relief lasted ' + hoursText(c.relief_hours) + '.' : 'No relief.');
    }
    if ((c.worse_after || []).length) details.push('Worse afterwards: ' + c.worse_after.map(techName).join(', ') + '.');
    return h('li', { 'class': 'kf-j-checkin', 'data-id': String(c.id), 'data-pain': String(c.pain) }, [
      h('div', { 'class': 'kf-j-checkin-head' }, [
        h('span', { 'class': 'kf-j-pain-badge kf-j-pain-' + Math.max(0, Math.min(10, Number(c.pain) || 0)) }, [
          h('strong', { text: String(c.pain) }), h('span', { 'class': 'kf-j-of', text: ' / 10' })
        ]),
        h('time', { datetime: c.at, text: when(c.at) }),
        c.pain_before !== null && c.pain_before !== undefined ? h('span', { 'class': 'kf-muted', text: 'was ' + c.pain_before + ' before' }) : null
      ]),
      bits.length ? h('p', { 'class': 'kf-j-where-text', text: sentence(bits.join(' ')) }) : null,
      details.length ? h('p', { 'class': 'kf-j-did', text: details.join(' ') }) : null,
      c.note ? h('p', { 'class': 'kf-j-note', text: c.note }) : null,
      h('button', { type: 'button', 'class': 'kf-btn kf-link kf-j-forget',
                    'aria-label': 'Delete the check-in of ' + when(c.at),
                    text: 'Delete', onclick: function () {
                      forget('/api/v1/journal/checkins/' + c.id, 'the check-in of ' + when(c.at));
                    } })
    ]);
  }

  /* ---- loading and moving between views ------------------------------------- */

  function settle(p) {
    return p.then(function (d) { return { data: d }; }, function (e) { return { error: e }; });
  }

  /* Reloads the plan, the list and the chart, then redraws the form (its
   * list of steps follows the revised plan).  Resolves when all are drawn. */
  function refresh() {
    var my = ++st.seq;
    var regions = settle(loadRegions());
    var plan = settle(api('/api/v1/journal/plan'));
    var list = settle(api('/api/v1/journal'));
    var hist = settle(api('/api/v1/journal/history'));
    var about = settle(api('/api/v1/journal/about'));
    return Promise.all([regions, plan, list, hist, about]).then(function (rs) {
      if (my !== st.seq) return null;
      st.plan = rs[1].data || null;
      if (st.plan && st.plan.result) learnNames(st.plan.result.plan);
      if (KF.App && KF.App.state && KF.App.state.result) learnNames(KF.App.state.result.plan);
      var ids = [];
      ((rs[2].data && rs[2].data.checkins) || []).forEach(function (c) { ids = ids.concat(c.did || [], c.worse_after || []); });
      return fetchNames(ids).then(function () {
        if (my !== st.seq) return;
        if (rs[0].error) {
          var holder = $('jf-holder');
          clear(holder);
          holder.appendChild(h('p', { 'class': 'kf-error', text: 'The form could not be loaded: ' + rs[0].error.message + '.' }));
          holder.appendChild(h('button', { type: 'button', 'class': 'kf-btn', text: 'Try again', onclick: refresh }));
        } else {
          buildForm(rs[0].data);
        }
        renderPlan(rs[1]);
        renderChart(rs[3]);
        renderList(rs[2]);
        renderKept(rs[2], rs[4]);
        st.loaded = true;
        document.body.setAttribute('data-journal', 'ready');
      });
    });
  }

  function open() {
    if (!KF.App || !KF.App.show || !$('view-journal')) return;
    build();
    var cur = document.body.getAttribute('data-view');
    if (cur && cur !== 'journal') st.from = cur;
    var nav = $('nav-journal');
    if (nav) nav.setAttribute('aria-current', 'page');
    document.body.setAttribute('data-journal', 'loading');
    var pre = st.prefill;
    KF.App.show('journal', pre ? 'jf-title' : 'journal-title');
    refresh().then(function () {
      if (pre && document.body.getAttribute('data-view') === 'journal') {
        var pain = $('jf-pain');
        if (pain) pain.focus();
      }
    });
  }

  function leave() {
    var nav = $('nav-journal');
    if (nav) nav.removeAttribute('aria-current');
  }

  /* The view the journal was opened from, if it can still be shown. */
  function fromView() {
    var s = KF.App.state || {};
    if ((st.from === 'result' || st.from === 'print') && s.result) return 'result';
    if (st.from === 'question' && s.question) return 'question';
    return 'start';
  }
  /* Back to where the person came from (app.js draws #result itself). */
  function back() {
    var to = fromView();
    if (to === 'result') { location.hash = '#result'; return; }
    history.replaceState(null, '', location.pathname + location.search);
    leave();
    KF.App.show(to);
  }
  function toStart() {
    history.replaceState(null, '', location.pathname + location.search);
    leave();
    KF.App.show('start');
  }

  function onHash() {
    if (location.hash === '#journal') return open();
    leave();
    /* app.js handles #result and #print; a bare address from the journal
     * (the browser's Back) returns to the view the journal was opened from. */
    if (!location.hash && document.body.getAttribute('data-view') === 'journal') KF.App.show(fromView());
  }

  /* "How did it go?" for one step: the journal, its form filled in. */
  function logStep(technique, name, side, result, timer) {
    var spot = painSpot(result) || {};
    st.prefill = { technique: technique, name: name, where: spot.where || '', side: spot.side || side || '',
                   timer: !!timer };
    if (location.hash === '#journal') open();
    else location.hash = '#journal';
  }

  /* A plan timer ran to its end: offer a check-in beside it. */
  function onTimerDone(ev) {
    var step = ev.target && ev.target.closest ? ev.target.closest('.kf-step[data-technique], .kf-first-step[data-technique]') : null;
    if (!step || step.querySelector('.kf-j-howdid')) return;
    var technique = step.getAttribute('data-technique');
    var head = step.querySelector('h3, h4');
    var name = (ev.detail && ev.detail.name) || (head ? head.textContent : words(technique));
    var inJournal = !!step.closest('#view-journal');
    var result = inJournal && st.plan ? st.plan.result : (KF.App && KF.App.state ? KF.App.state.result : null);
    var side = step.getAttribute('data-side') || '';
    if (!side && result) (result.plan || []).forEach(function (s) { if (s.technique === technique && s.side) side = s.side; });
    var box = h('div', { 'class': 'kf-j-howdid', role: 'group', 'aria-label': 'How did it go?' }, [
      h('p', {}, [h('strong', { text: 'How did it go? ' }),
        'Log the pain now, and later how long the relief lasted: that is how the plan learns what works for you.']),
      h('button', { type: 'button', 'class': 'kf-btn kf-primary kf-j-howdid-go', text: 'How did it go?',
                    'aria-label': 'How did it go? Log ' + name,
                    onclick: function () { logStep(technique, name, side, result, true); } })
    ]);
    var timer = ev.target.closest('.kf-timer');
    if (timer && timer.parentNode === step) step.insertBefore(box, timer.nextSibling);
    else step.appendChild(box);
  }

  function boot() {
    window.addEventListener('hashchange', onHash);
    window.addEventListener('resize', fitScroller);
    document.addEventListener('kf-timer-done', onTimerDone);
    if (location.hash === '#journal') open();
    else {
      /* A warning sign from a check-in's note stands above every view. */
      laterFromMemory();
      /* The plan only when there is one and a note to have said it (no 404
       * before the first consultation). */
      api('/api/v1/journal').then(function (j) {
        var noted = ((j && j.checkins) || []).some(function (c) { return c.note; });
        if (!((j && j.consultations) || []).length || !noted) return { result: {} };
        return api('/api/v1/journal/plan');
      }).then(function (v) {
        var r = (v && v.result) || {}, notes = (v && v.note_warnings) || [];
        var lvl = r.triage ? r.triage.level : '';
        if (document.body.getAttribute('data-view') !== 'journal')
          alertElsewhere((lvl === 'emergency' || lvl === 'doctor_soon') && notes.length ? lvl : '', r, notes);
      }, function () { /* no journal, or none to read here: nothing to add */ });
    }
  }

  KF.Journal = { open: open, importSvg: importSvg, fieldOf: fieldOf };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
