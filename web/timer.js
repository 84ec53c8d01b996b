/*
 * timer.js — a guided timer for one plan step: work and rest phases,
 * repeated; start, pause, reset; a visible countdown; a beep when a phase
 * ends and a longer one at the very end (WebAudio, no sound files).
 *
 * KF.Timer.create(container, {work_s, rest_s, reps}, {work, rest, name})
 * builds the widget in `container`; when it runs to its end the widget
 * fires a bubbling "kf-timer-done" event.  Time is measured against the clock
 * (Date.now), not by counting ticks, so a busy page or a background tab
 * does not make it drift.
 */
(function () {
  'use strict';
  var KF = window.KF = window.KF || {};

  var audio = null;
  /* A short sine beep; `long` for the end of the whole timer.  The audio
   * context is made on the first Start press (browsers allow sound only
   * after a user gesture).  Every beep is also counted on <body> so a test
   * or a curious user can see that it fired. */
  function beep(long) {
    var n = Number(document.body.getAttribute('data-beeps') || 0) + 1;
    document.body.setAttribute('data-beeps', String(n));
    try {
      if (!audio) return;
      var now = audio.currentTime, count = long ? 3 : 1;
      for (var i = 0; i < count; i++) {
        var o = audio.createOscillator(), g = audio.createGain();
        var t0 = now + i * 0.3;
        o.type = 'sine';
        o.frequency.value = long ? 660 : 880;
        g.gain.setValueAtTime(0.0001, t0);
        g.gain.exponentialRampToValueAtTime(0.25, t0 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.22);
        o.connect(g);
        g.connect(audio.destination);
        o.start(t0);
        o.stop(t0 + 0.25);
      }
    } catch (e) { /* no sound is not an error */ }
  }
  function wakeAudio() {
    try {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (!audio && AC) audio = new AC();
      if (audio && audio.state === 'suspended') audio.resume();
    } catch (e) { audio = null; }
  }

  function fmt(s) {
    s = Math.max(0, Math.ceil(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = h ? (m < 10 ? '0' + m : '' + m) : '' + m;
    return (h ? h + ':' : '') + mm + ':' + (sec < 10 ? '0' : '') + sec;
  }

  /* Spoken length: "5 minutes", "30 seconds", "1 minute 30 seconds". */
  function spoken(s) {
    var m = Math.floor(s / 60), sec = Math.round(s % 60), out = [];
    if (m) out.push(m + (m === 1 ? ' minute' : ' minutes'));
    if (sec || !m) out.push(sec + (sec === 1 ? ' second' : ' seconds'));
    return out.join(' ');
  }

  /* "5:00", "20 min on / 20 min off × 3", "30 s hold, 30 s rest × 3". */
  function summary(t, names) {
    var reps = t.reps > 1 ? ' × ' + t.reps : '';
    if (!t.rest_s) return spoken(t.work_s) + ' ' + names.work.toLowerCase() + reps;
    return spoken(t.work_s) + ' ' + names.work.toLowerCase() + ', ' +
           spoken(t.rest_s) + ' ' + names.rest.toLowerCase() + reps;
  }

  /* Every live timer, so a page that redraws its plan can stop the old
   * ones instead of leaving them ticking (and beeping) out of sight. */
  var live = [];
  function stopAll() {
    live.forEach(function (t) { t.stop(); });
    live = [];
  }

  function create(container, spec, names) {
    names = names || {};
    names.work = names.work || 'Work';
    names.rest = names.rest || 'Rest';
    var work = Math.max(1, Number(spec.work_s) || 0), rest = Math.max(0, Number(spec.rest_s) || 0);
    var reps = Math.max(1, Math.floor(Number(spec.reps) || 1));
    var phases = [];
    for (var r = 1; r <= reps; r++) {
      phases.push({ kind: 'work', len: work, rep: r });
      if (rest && r < reps) phases.push({ kind: 'rest', len: rest, rep: r });
    }

    var box = document.createElement('div');
    box.className = 'kf-timer';
    box.setAttribute('data-state', 'ready');
    var title = names.name ? 'Timer for ' + names.name : 'Timer';
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', title);

    var sum = document.createElement('p');
    sum.className = 'kf-timer-summary';
    sum.textContent = summary({ work_s: work, rest_s: rest, reps: reps }, names);
    box.appendChild(sum);

    var phaseEl = document.createElement('p');
    phaseEl.className = 'kf-timer-phase';
    box.appendChild(phaseEl);

    var clock = document.createElement('div');
    clock.className = 'kf-timer-clock';
    clock.setAttribute('role', 'timer');
    clock.setAttribute('aria-label', 'time left');
    box.appendChild(clock);

    var bar = document.createElement('div');
    bar.className = 'kf-timer-bar';
    var fill = document.createElement('div');
    fill.className = 'kf-timer-fill';
    bar.appendChild(fill);
    bar.setAttribute('aria-hidden', 'true');
    box.appendChild(bar);

    var row = document.createElement('div');
    row.className = 'kf-timer-buttons';
    var startBtn = document.createElement('button');
    startBtn.type = 'button';
    startBtn.className = 'kf-btn kf-primary kf-timer-start';
    var resetBtn = document.createElement('button');
    resetBtn.type = 'button';
    resetBtn.className = 'kf-btn kf-timer-reset';
    resetBtn.textContent = 'Reset';
    resetBtn.setAttribute('aria-label', 'Reset ' + title.toLowerCase());
    row.appendChild(startBtn);
    row.appendChild(resetBtn);
    box.appendChild(row);

    /* Phase changes and the end are announced; the ticking seconds are not. */
    var say = document.createElement('p');
    say.className = 'kf-sr-only';
    say.setAttribute('aria-live', 'polite');
    box.appendChild(say);

    container.appendChild(box);

    var idx = 0, left = phases[0].len * 1000, running = false, last = 0, handle = null;

    function phaseName(p) { return p.kind === 'work' ? names.work : names.rest; }
    function render() {
      var p = phases[Math.min(idx, phases.length - 1)];
      var done = idx >= phases.length;
      var state = done ? 'done' : running ? 'running' : (left < p.len * 1000 || idx > 0) ? 'paused' : 'ready';
      box.setAttribute('data-state', state);
      box.classList.toggle('kf-rest', !done && p.kind === 'rest');
      phaseEl.textContent = done ? 'Done — well done.' :
        phaseName(p) + (reps > 1 ? ' · round ' + p.rep + ' of ' + reps : '');
      clock.textContent = fmt(done ? 0 : left / 1000);
      var frac = done ? 1 : 1 - left / (p.len * 1000);
      fill.style.width = (Math.max(0, Math.min(1, frac)) * 100).toFixed(1) + '%';
      startBtn.textContent = running ? 'Pause' : state === 'paused' ? 'Resume' : state === 'done' ? 'Again' : 'Start';
      startBtn.setAttribute('aria-label', startBtn.textContent + ' ' + title.toLowerCase());
      startBtn.setAttribute('aria-pressed', running ? 'true' : 'false');
    }
    function tick() {
      if (!running) return;
      var now = Date.now();
      left -= now - last;
      last = now;
      var finished = false;
      while (running && left <= 0) {
        var over = -left;
        idx++;
        if (idx >= phases.length) {
          running = false;
          stopTicking();
          beep(true);
          say.textContent = 'Finished.';
          finished = true;
          break;
        }
        beep(false);
        var p = phases[idx];
        left = p.len * 1000 - over;
        say.textContent = phaseName(p) + ' for ' + spoken(p.len) + '.';
      }
      render();
      /* The whole timer ran to its end: the page may offer what comes next
       * (journal.js asks "How did it go?").  The event bubbles from the
       * widget, so a listener can find the plan step around it. */
      if (finished) box.dispatchEvent(new CustomEvent('kf-timer-done', { bubbles: true, detail: { name: names.name || '' } }));
    }
    function startTicking() { if (!handle) handle = setInterval(tick, 200); }
    function stopTicking() { if (handle) { clearInterval(handle); handle = null; } }
    function reset() {
      running = false;
      stopTicking();
      idx = 0;
      left = phases[0].len * 1000;
      say.textContent = '';
      render();
    }
    startBtn.addEventListener('click', function () {
      wakeAudio();
      if (idx >= phases.length) reset();
      if (running) {
        tick();
        running = false;
        stopTicking();
        say.textContent = 'Paused.';
      } else {
        running = true;
        last = Date.now();
        startTicking();
        say.textContent = phaseName(phases[idx]) + ' for ' + spoken(left / 1000) + '.';
      }
      render();
    });
    resetBtn.addEventListener('click', reset);
    render();
    var api = { element: box, reset: reset, stop: function () { running = false; stopTicking(); } };
    live.push(api);
    return api;
  }

  KF.Timer = { create: create, stopAll: stopAll, fmt: fmt, spoken: spoken, summary: summary };
})();
