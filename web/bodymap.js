/*
 * bodymap.js — our own drawing of the body, back and front, and the zones
 * of the knowledge base's regions (kb/10-regions.kb) on it.
 *
 * Two uses:
 *   KF.BodyMap.picker(opts)  an input: click, tap or use the keyboard to
 *                            mark where it hurts, left and right separately;
 *   KF.BodyMap.picture(opts) an output: where it hurts, where the cause is,
 *                            and an arrow from the cause to the pain.
 *
 * Coordinates: each figure is W x H user units.  Zones are written once, for
 * the figure's left half as the viewer sees it; the other side is the
 * mirror image.  In the back view the viewer's left is the person's left;
 * in the front view (facing us) the viewer's left is the person's right.
 * Plain script (no modules), so it works from any static server.
 */
(function () {
  'use strict';
  var KF = window.KF = window.KF || {};
  var NS = 'http://www.w3.org/2000/svg';
  var W = 240, H = 430;

  /* ---- the figure ------------------------------------------------------ */

  /* Smooth closed curve through points (Catmull-Rom turned into Béziers). */
  function smoothPath(pts) {
    var n = pts.length, d = 'M' + pts[0][0] + ',' + pts[0][1];
    for (var i = 0; i < n; i++) {
      var p0 = pts[(i - 1 + n) % n], p1 = pts[i], p2 = pts[(i + 1) % n], p3 = pts[(i + 2) % n];
      var c1x = p1[0] + (p2[0] - p0[0]) / 6, c1y = p1[1] + (p2[1] - p0[1]) / 6;
      var c2x = p2[0] - (p3[0] - p1[0]) / 6, c2y = p2[1] - (p3[1] - p1[1]) / 6;
      d += 'C' + r1(c1x) + ',' + r1(c1y) + ' ' + r1(c2x) + ',' + r1(c2y) + ' ' + p2[0] + ',' + p2[1];
    }
    return d + 'Z';
  }
  function r1(x) { return Math.round(x * 10) / 10; }
  function mirrorPts(pts) { return pts.map(function (p) { return [W - p[0], p[1]]; }); }
  /* A left half and its mirror joined into one symmetric outline. */
  function symmetric(half) { return half.concat(mirrorPts(half).reverse()); }

  var TORSO_HALF = [[107, 86], [86, 93], [67, 100], [59, 113], [63, 140], [70, 185],
                    [76, 232], [71, 272], [69, 302], [73, 334], [104, 350], [120, 352]];
  var UPPER_ARM = [[64, 100], [49, 105], [41, 128], [37, 168], [34, 206], [53, 211],
                   [57, 170], [64, 140]];
  var FOREARM = [[35, 198], [29, 250], [26, 296], [43, 300], [47, 252], [54, 204]];
  var THIGH = [[70, 296], [71, 360], [75, 440], [114, 440], [117, 380], [120, 346]];
  var SHIN = [[76, 430], [74, 500], [80, 580], [104, 580], [110, 500], [113, 430]];
  var FOOT = [[80, 574], [72, 600], [106, 604], [104, 574]];
  var FULL_H = 610;             /* the whole figure, head to feet */

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  /* The silhouette: every piece drawn twice, first with a thick outline and
   * then filled on top, so the pieces merge into one outlined body. */
  function drawFigure(g, view) {
    var pieces = [
      ['ellipse', { cx: 120, cy: 40, rx: 25, ry: 31 }],
      ['path', { d: smoothPath([[108, 60], [132, 60], [134, 94], [106, 94]]) }],
      ['path', { d: smoothPath(symmetric(TORSO_HALF)) }],
      ['path', { d: smoothPath(UPPER_ARM) }], ['path', { d: smoothPath(mirrorPts(UPPER_ARM)) }],
      ['path', { d: smoothPath(FOREARM) }], ['path', { d: smoothPath(mirrorPts(FOREARM)) }],
      ['ellipse', { cx: 34, cy: 318, rx: 9, ry: 18 }], ['ellipse', { cx: W - 34, cy: 318, rx: 9, ry: 18 }],
      ['path', { d: smoothPath(THIGH) }], ['path', { d: smoothPath(mirrorPts(THIGH)) }],
      ['path', { d: smoothPath(SHIN) }], ['path', { d: smoothPath(mirrorPts(SHIN)) }],
      ['path', { d: smoothPath(FOOT) }], ['path', { d: smoothPath(mirrorPts(FOOT)) }]
    ];
    var outline = el('g', { 'class': 'kf-body-outline' }, g);
    var fill = el('g', { 'class': 'kf-body-fill' }, g);
    pieces.forEach(function (p) { el(p[0], p[1], outline); el(p[0], p[1], fill); });
    var marks = el('g', { 'class': 'kf-body-marks' }, g);
    if (view === 'back') {
      el('path', { d: 'M120,96 L120,300' }, marks);                       /* spine */
      [[102, 112], [W - 102, 112]].forEach(function (c, i) {             /* shoulder blades */
        var s = i === 0 ? 1 : -1;
        el('path', { d: 'M' + c[0] + ',' + c[1] + ' L' + (c[0] - s * 30) + ',' + (c[1] - 4) +
                        ' L' + (c[0] - s * 8) + ',' + (c[1] + 72) + ' Z' }, marks);
      });
    } else {
      el('path', { d: 'M106,98 Q86,96 66,104 M134,98 Q154,96 174,104' }, marks); /* collarbones */
      el('path', { d: 'M120,104 L120,170' }, marks);                     /* breastbone */
      el('path', { d: 'M112,40 q2,2 4,0 M124,40 q2,2 4,0' }, marks);    /* closed eyes */
    }
  }

  /* ---- the zones --------------------------------------------------------- */

  /* Shapes for the viewer's left instance; `c: true` marks a centred,
   * unsided zone.  e = ellipse [cx, cy, rx, ry, rotation], p = smooth poly. */
  var ZONES = {
    back: {
      skull_base:        { e: [108, 66, 11, 6, -10] },
      neck_back:         { p: [[106, 74], [119, 74], [119, 93], [104, 93]] },
      top_shoulder:      { p: [[105, 92], [86, 96], [66, 102], [63, 110], [84, 107], [105, 102]] },
      upper_inner_blade: { e: [101, 115, 9, 9, 0] },
      medial_border:     { p: [[96, 126], [110.5, 126], [110.5, 180], [96, 180], [93, 153]] },
      between_blades:    { c: true, p: [[111, 108], [129, 108], [129, 190], [111, 190]] },
      shoulder_blade:    { p: [[92, 124], [77, 121], [80, 148], [88, 166], [93, 148]] },
      inferior_angle:    { e: [94, 186, 8, 7, 0] },
      lateral_border:    { p: [[69, 126], [76, 124], [82, 158], [88, 176], [82, 182], [72, 156], [66, 132]] },
      back_of_shoulder:  { e: [55, 117, 10, 13, 10] },
      upper_arm_back:    { p: [[41, 136], [57, 136], [54, 200], [36, 200]] },
      under_arm:         { p: [[58, 140], [66, 138], [70, 168], [72, 196], [64, 198], [61, 168]] },
      mid_back:          { p: [[96, 197], [115, 197], [115, 238], [91, 238]] },
      low_back:          { p: [[89, 245], [115, 245], [115, 290], [84, 290]] },
      buttock:           { e: [96, 322, 22, 22, 0] }
    },
    front: {
      head:              { e: [107, 30, 11, 14, 0] },
      jaw:               { e: [107, 60, 10, 7, 35] },
      neck_side:         { p: [[103, 70], [111.5, 70], [111.5, 96], [96, 96]] },
      neck_front:        { c: true, p: [[112, 76], [128, 76], [128, 97], [112, 97]] },
      front_shoulder:    { e: [60, 116, 10, 13, -10] },
      chest:             { e: [94, 132, 20, 16, 0] },
      upper_arm_front:   { p: [[41, 138], [58, 138], [55, 200], [37, 200]] },
      forearm_hand:      { p: [[35, 214], [51, 214], [45, 298], [44, 322], [36, 334], [26, 320], [28, 298]] },
      upper_abdomen:     { e: [100, 196, 16, 13, 0] },
      hip_front:         { e: [97, 302, 16, 11, -25] }
    }
  };

  /* Which side of the person a zone instance is on, by view and by the
   * viewer's half of the figure. */
  function personSide(view, viewerLeft) {
    return (view === 'back') === viewerLeft ? 'left' : 'right';
  }

  /* The zone instances (one for unsided, two for sided zones) of a view. */
  function instances(view) {
    var out = [], z = ZONES[view];
    Object.keys(z).forEach(function (id) {
      var s = z[id];
      if (s.c) { out.push({ id: id, side: '', view: view, shape: s, mirrored: false }); return; }
      [true, false].forEach(function (vl) {
        out.push({ id: id, side: personSide(view, vl), view: view, shape: s, mirrored: !vl });
      });
    });
    return out;
  }

  function shapeAttrs(inst) {
    var s = inst.shape;
    if (s.e) {
      var cx = inst.mirrored ? W - s.e[0] : s.e[0], rot = inst.mirrored ? -s.e[4] : s.e[4];
      return ['ellipse', { cx: cx, cy: s.e[1], rx: s.e[2], ry: s.e[3],
                           transform: rot ? 'rotate(' + rot + ' ' + cx + ' ' + s.e[1] + ')' : null }];
    }
    return ['path', { d: smoothPath(inst.mirrored ? mirrorPts(s.p) : s.p) }];
  }

  function centroid(inst) {
    var s = inst.shape;
    if (s.e) return [inst.mirrored ? W - s.e[0] : s.e[0], s.e[1]];
    var x = 0, y = 0;
    s.p.forEach(function (p) { x += p[0]; y += p[1]; });
    x /= s.p.length; y /= s.p.length;
    return [inst.mirrored ? W - x : x, y];
  }

  function viewOf(id) {
    if (ZONES.back[id]) return 'back';
    if (ZONES.front[id]) return 'front';
    return null;
  }

  function isDrawn(id) { return viewOf(id) !== null; }

  function sideWords(side) {
    return side === 'left' ? 'left side' : side === 'right' ? 'right side' :
           side === 'both' ? 'both sides' : '';
  }

  /* Plain label "left side: between the spine and the shoulder blade". */
  function zoneName(label, side) {
    var s = sideWords(side);
    return s ? s + ': ' + label : label;
  }

  /* The figure's captions: which side is which. */
  function drawSideLabels(g, view) {
    var vl = personSide(view, true), vr = personSide(view, false);
    var t1 = el('text', { x: 8, y: 20, 'class': 'kf-side-label', 'aria-hidden': 'true' }, g);
    t1.textContent = vl === 'left' ? 'L' : 'R';
    var t2 = el('text', { x: W - 8, y: 20, 'class': 'kf-side-label', 'text-anchor': 'end', 'aria-hidden': 'true' }, g);
    t2.textContent = vr === 'left' ? 'L' : 'R';
  }

  var VIEW_TITLE = { back: 'Back', front: 'Front' };
  var VIEW_HINT = { back: 'seen from behind: your left is on the left',
                    front: 'facing you: your right is on the left' };

  /* ---- the picker -------------------------------------------------------- */

  /* The close-ups the picker shows, one at a time: on a phone a whole
   * figure is too small to hit the places between the shoulder blades, so
   * each zone lives in the close-up that holds it whole (its "home") and is
   * a target there only; other close-ups draw it faintly.  Boxes are
   * [x, y, width, height] in figure units. */
  var CROPS = [
    { key: 'back-upper', view: 'back', part: 'upper', box: [50, 54, 140, 152] },
    { key: 'back-lower', view: 'back', part: 'lower', box: [26, 100, 188, 250] },
    { key: 'front-upper', view: 'front', part: 'upper', box: [40, 8, 160, 150] },
    { key: 'front-lower', view: 'front', part: 'lower', box: [16, 100, 208, 245] }
  ];
  var PART_TITLE = { upper: 'Neck, shoulders and upper back', lower: 'Lower back, arms and hips' };
  var FRONT_PART = { upper: 'Head, neck and chest', lower: 'Arms, belly and hips' };

  function bbox(inst) {
    var s = inst.shape;
    if (s.e) {
      var c = centroid(inst), a = (s.e[4] || 0) * Math.PI / 180;
      var hw = Math.sqrt(Math.pow(s.e[2] * Math.cos(a), 2) + Math.pow(s.e[3] * Math.sin(a), 2));
      var hh = Math.sqrt(Math.pow(s.e[2] * Math.sin(a), 2) + Math.pow(s.e[3] * Math.cos(a), 2));
      return [c[0] - hw, c[1] - hh, c[0] + hw, c[1] + hh];
    }
    var pts = inst.mirrored ? mirrorPts(s.p) : s.p;
    var xs = pts.map(function (p) { return p[0]; }), ys = pts.map(function (p) { return p[1]; });
    return [Math.min.apply(null, xs), Math.min.apply(null, ys), Math.max.apply(null, xs), Math.max.apply(null, ys)];
  }
  function inside(b, box) {
    return b[0] >= box[0] - 0.5 && b[1] >= box[1] - 0.5 && b[2] <= box[0] + box[2] + 0.5 && b[3] <= box[1] + box[3] + 0.5;
  }
  function overlaps(b, box) {
    return b[2] > box[0] && b[0] < box[0] + box[2] && b[3] > box[1] && b[1] < box[1] + box[3];
  }
  /* The close-up a zone instance is a target in. */
  function homeOf(inst) {
    var b = bbox(inst), own = CROPS.filter(function (c) { return c.view === inst.view; });
    for (var i = 0; i < own.length; i++) if (inside(b, own[i].box)) return own[i].key;
    var c = centroid(inst);
    for (i = 0; i < own.length; i++) if (inside([c[0], c[1], c[0], c[1]], own[i].box)) return own[i].key;
    return own[0].key;
  }

  /* A small whole figure beside the switch: where the close-up is, and
   * what is marked anywhere. */
  function overview(view) {
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + FULL_H, 'class': 'kf-overview', 'aria-hidden': 'true',
                          focusable: 'false' });
    var g = el('g', {}, svg);
    drawFigure(g, view);
    var marks = el('g', { 'class': 'kf-overview-marks' }, svg);
    var frame = el('rect', { 'class': 'kf-overview-frame', rx: 6 }, svg);
    return { svg: svg, marks: marks, frame: frame };
  }

  /*
   * opts: { container, regions: [{id,label,view,sided}], onChange(selection) }
   * Returns { get(): [{id, side}], set([{id, side}]), clear(), element, show(cropKey) }
   * where side is "left" | "right" | "both" | "" (unsided), one entry per
   * region.  Regions the API lists but this drawing lacks are offered in
   * the list below the figure, so every region stays selectable.
   */
  function picker(opts) {
    var regions = opts.regions || [];
    var byId = {};
    regions.forEach(function (r) { byId[r.id] = r; });
    var chosen = {};               /* "id|side" -> true, side "" for unsided */
    var nodes = {};                /* "id|side" -> [svg zone, list checkbox, ghosts] */
    var wrap = document.createElement('div');
    wrap.className = 'kf-picker';

    /* The switch: Back / Front, and which part of the body. */
    var bar = document.createElement('div');
    bar.className = 'kf-map-bar';
    var viewRow = document.createElement('div');
    viewRow.className = 'kf-seg';
    viewRow.setAttribute('role', 'group');
    viewRow.setAttribute('aria-label', 'Which side of the body');
    var partRow = document.createElement('div');
    partRow.className = 'kf-seg';
    partRow.setAttribute('role', 'group');
    partRow.setAttribute('aria-label', 'Which part of the body');
    var cur = { view: 'back', part: 'upper' };
    var viewBtns = {}, partBtns = {};
    function segBtn(row, text, on) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'kf-seg-btn';
      b.textContent = text;
      b.addEventListener('click', on);
      b.setAttribute('data-switch', text.toLowerCase().split(' ')[0]);
      row.appendChild(b);
      return b;
    }
    viewBtns.back = segBtn(viewRow, 'Back', function () { showCrop('back', cur.part); });
    viewBtns.front = segBtn(viewRow, 'Front', function () { showCrop('front', cur.part); });
    partBtns.upper = segBtn(partRow, 'Upper body', function () { showCrop(cur.view, 'upper'); });
    partBtns.lower = segBtn(partRow, 'Lower body, arms', function () { showCrop(cur.view, 'lower'); });
    var ov = { back: overview('back'), front: overview('front') };
    var ovBox = document.createElement('div');
    ovBox.className = 'kf-overview-box';
    ovBox.appendChild(ov.back.svg);
    ovBox.appendChild(ov.front.svg);
    var rows = document.createElement('div');
    rows.className = 'kf-map-switches';
    rows.appendChild(viewRow);
    rows.appendChild(partRow);
    bar.appendChild(ovBox);
    bar.appendChild(rows);
    wrap.appendChild(bar);

    var stage = document.createElement('div');
    stage.className = 'kf-map-stage';
    wrap.appendChild(stage);
    var figs = document.createElement('div');
    figs.className = 'kf-figures';
    stage.appendChild(figs);

    /* The name of the zone last tapped, beside the figure. */
    var tapLabel = document.createElement('p');
    tapLabel.className = 'kf-tap-label';
    tapLabel.setAttribute('aria-hidden', 'true');

    var crops = {};
    CROPS.forEach(function (crop) {
      var all = instances(crop.view).filter(function (i) { return byId[i.id]; });
      if (!all.length) return;
      var mine = all.filter(function (i) { return homeOf(i) === crop.key; });
      var ghosts = all.filter(function (i) { return homeOf(i) !== crop.key && overlaps(bbox(i), crop.box); });
      var fig = document.createElement('figure');
      fig.className = 'kf-figure';
      fig.setAttribute('data-crop', crop.key);
      var title = (crop.view === 'back' ? 'Back' : 'Front') + ', ' +
        lowerFirst((crop.view === 'back' ? PART_TITLE : FRONT_PART)[crop.part]);
      var svg = el('svg', { viewBox: crop.box.join(' '), 'class': 'kf-bodymap kf-crop-' + crop.part,
                            role: 'group', 'aria-label': title + ', ' + VIEW_HINT[crop.view] +
                            '. Arrow keys move between places; Space or Enter marks one.' });
      var g = el('g', {}, svg);
      drawFigure(g, crop.view);
      var lbl = el('g', { transform: 'translate(' + crop.box[0] + ',' + (crop.box[1] - 4) + ')' }, svg);
      var vl = personSide(crop.view, true), vr = personSide(crop.view, false);
      var t1 = el('text', { x: 6, y: 20, 'class': 'kf-side-label', 'aria-hidden': 'true' }, lbl);
      t1.textContent = vl === 'left' ? 'L' : 'R';
      var t2 = el('text', { x: crop.box[2] - 6, y: 20, 'class': 'kf-side-label', 'text-anchor': 'end', 'aria-hidden': 'true' }, lbl);
      t2.textContent = vr === 'left' ? 'L' : 'R';
      var gg = el('g', { 'class': 'kf-ghosts', 'aria-hidden': 'true' }, svg);
      ghosts.forEach(function (i) {
        var sa = shapeAttrs(i), key = i.id + '|' + i.side;
        var z = el(sa[0], sa[1], gg);
        z.setAttribute('class', 'kf-zone-ghost');
        (nodes[key] = nodes[key] || []).push(z);
      });
      var zg = el('g', { 'class': 'kf-zones' }, svg);
      mine.sort(function (a, b) {
        var ia = regions.indexOf(byId[a.id]), ib = regions.indexOf(byId[b.id]);
        return ia - ib || (a.side === 'left' ? -1 : 1);
      });
      var zoneEls = [];
      mine.forEach(function (i, k) {
        var sa = shapeAttrs(i), key = i.id + '|' + i.side;
        var z = el(sa[0], sa[1], zg);
        var name = zoneName(byId[i.id].label, i.side);
        z.setAttribute('class', 'kf-zone');
        z.setAttribute('role', 'checkbox');
        z.setAttribute('aria-checked', 'false');
        z.setAttribute('aria-label', name);
        z.setAttribute('tabindex', k === 0 ? '0' : '-1');
        z.setAttribute('data-region', i.id);
        z.setAttribute('data-side', i.side);
        z.setAttribute('data-kf', 'zone');
        z.setAttribute('data-crop', crop.key);
        var tt = el('title', {}, z);
        tt.textContent = name;
        z.addEventListener('click', function () { toggle(key); z.focus(); tell(key); });
        z.addEventListener('keydown', function (ev) {
          var idx = zoneEls.indexOf(z), next = -1;
          if (ev.key === ' ' || ev.key === 'Enter') { ev.preventDefault(); toggle(key); tell(key); return; }
          if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') next = (idx + 1) % zoneEls.length;
          else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') next = (idx - 1 + zoneEls.length) % zoneEls.length;
          else if (ev.key === 'Home') next = 0;
          else if (ev.key === 'End') next = zoneEls.length - 1;
          if (next >= 0) {
            ev.preventDefault();
            z.setAttribute('tabindex', '-1');
            zoneEls[next].setAttribute('tabindex', '0');
            zoneEls[next].focus();
            tell(zoneEls[next].getAttribute('data-region') + '|' + zoneEls[next].getAttribute('data-side'));
          }
        });
        zoneEls.push(z);
        (nodes[key] = nodes[key] || []).push(z);
      });
      fig.appendChild(svg);
      var cap = document.createElement('figcaption');
      var b = document.createElement('strong');
      b.textContent = title;
      cap.appendChild(b);
      cap.appendChild(document.createTextNode(' — ' + VIEW_HINT[crop.view]));
      fig.appendChild(cap);
      figs.appendChild(fig);
      crops[crop.key] = { fig: fig, crop: crop };
    });

    /* What is chosen, in words, with a way to remove each: beside the figure. */
    figs.appendChild(tapLabel);
    var side = document.createElement('div');
    side.className = 'kf-map-side';
    var chosenBox = document.createElement('div');
    chosenBox.className = 'kf-chosen';
    chosenBox.setAttribute('aria-live', 'polite');
    side.appendChild(chosenBox);
    stage.appendChild(side);

    function tell(key) {
      var parts = key.split('|'), r = byId[parts[0]];
      tapLabel.textContent = (chosen[key] ? '✓ ' : '') + zoneName(r ? r.label : parts[0], parts[1]);
    }

    function showCrop(view, part) {
      var key = view + '-' + part;
      if (!crops[key]) {
        key = Object.keys(crops).filter(function (k) { return crops[k].crop.view === view; })[0] ||
              Object.keys(crops)[0];
        if (!key) return;
      }
      cur.view = crops[key].crop.view;
      cur.part = crops[key].crop.part;
      Object.keys(crops).forEach(function (k) { crops[k].fig.hidden = k !== key; });
      ['back', 'front'].forEach(function (v) {
        viewBtns[v].setAttribute('aria-pressed', v === cur.view ? 'true' : 'false');
        viewBtns[v].disabled = !Object.keys(crops).some(function (k) { return crops[k].crop.view === v; });
        ov[v].svg.style.display = v === cur.view ? '' : 'none';
      });
      ['upper', 'lower'].forEach(function (p) {
        partBtns[p].setAttribute('aria-pressed', p === cur.part ? 'true' : 'false');
        partBtns[p].disabled = !crops[cur.view + '-' + p];
        partBtns[p].textContent = { upper: 'Upper', lower: 'Lower' }[p];
        partBtns[p].setAttribute('aria-label', (cur.view === 'back' ? PART_TITLE : FRONT_PART)[p]);
      });
      var bx = crops[key].crop.box, fr = ov[cur.view].frame;
      fr.setAttribute('x', bx[0]); fr.setAttribute('y', bx[1]);
      fr.setAttribute('width', bx[2]); fr.setAttribute('height', bx[3]);
      wrap.setAttribute('data-crop', key);
      tapLabel.textContent = '';
    }

    /* The same zones as a plain list: big targets, screen-reader friendly,
     * and the home of any region the drawing does not have. */
    var det = document.createElement('details');
    det.className = 'kf-zone-list';
    var missing = regions.filter(function (r) { return !isDrawn(r.id); });
    if (missing.length) det.open = true;
    var sum = document.createElement('summary');
    sum.textContent = 'Or choose from a list';
    det.appendChild(sum);
    ['back', 'front'].forEach(function (view) {
      var rs = regions.filter(function (r) { return (viewOf(r.id) || r.view) === view; });
      if (!rs.length) return;
      var fs = document.createElement('fieldset');
      var lg = document.createElement('legend');
      lg.textContent = VIEW_TITLE[view];
      fs.appendChild(lg);
      rs.forEach(function (r) {
        var row = document.createElement('div');
        row.className = 'kf-zone-row';
        var name = document.createElement('span');
        name.className = 'kf-zone-row-label';
        name.textContent = r.label;
        row.appendChild(name);
        var sides = r.sided ? ['left', 'right'] : [''];
        sides.forEach(function (sd) {
          var key = r.id + '|' + sd;
          var lab = document.createElement('label');
          var cb = document.createElement('input');
          cb.type = 'checkbox';
          cb.setAttribute('data-region', r.id);
          cb.setAttribute('data-side', sd);
          if (sd) cb.setAttribute('aria-label', zoneName(r.label, sd));
          cb.addEventListener('change', function () { setKey(key, cb.checked); });
          lab.appendChild(cb);
          lab.appendChild(document.createTextNode(sd ? (sd === 'left' ? ' left' : ' right') : ' yes'));
          row.appendChild(lab);
          (nodes[key] = nodes[key] || []).push(cb);
        });
        fs.appendChild(row);
      });
      det.appendChild(fs);
    });
    wrap.appendChild(det);
    opts.container.appendChild(wrap);
    showCrop('back', 'upper');

    function toggle(key) { setKey(key, !chosen[key]); }
    function setKey(key, on, quiet) {
      if (on) chosen[key] = true; else delete chosen[key];
      (nodes[key] || []).forEach(function (n) {
        if (n.tagName.toLowerCase() === 'input') n.checked = !!on;
        else {
          if (n.getAttribute('role')) n.setAttribute('aria-checked', on ? 'true' : 'false');
          n.classList.toggle('kf-on', !!on);
        }
      });
      if (!quiet) changed();
    }
    function changed() {
      renderChosen();
      renderOverview();
      if (opts.onChange) opts.onChange(get());
    }
    function renderOverview() {
      ['back', 'front'].forEach(function (v) {
        var m = ov[v].marks;
        while (m.firstChild) m.removeChild(m.firstChild);
        instances(v).forEach(function (i) {
          if (!chosen[i.id + '|' + i.side]) return;
          var sa = shapeAttrs(i);
          var z = el(sa[0], sa[1], m);
          z.setAttribute('class', 'kf-overview-on');
        });
      });
    }
    function renderChosen() {
      chosenBox.textContent = '';
      var keys = Object.keys(chosen);
      if (!keys.length) {
        var p = document.createElement('p');
        p.className = 'kf-muted';
        p.textContent = 'Nothing marked yet.';
        chosenBox.appendChild(p);
        return;
      }
      var hd = document.createElement('p');
      hd.textContent = 'It hurts:';
      chosenBox.appendChild(hd);
      var ul = document.createElement('ul');
      ul.className = 'kf-chips';
      keys.forEach(function (key) {
        var parts = key.split('|'), r = byId[parts[0]];
        var li = document.createElement('li');
        var txt = zoneName(r ? r.label : parts[0], parts[1]);
        li.appendChild(document.createTextNode(txt + ' '));
        var x = document.createElement('button');
        x.type = 'button';
        x.className = 'kf-chip-x';
        x.textContent = '×';
        x.setAttribute('aria-label', 'Remove ' + txt);
        x.addEventListener('click', function () { setKey(key, false); });
        li.appendChild(x);
        ul.appendChild(li);
      });
      chosenBox.appendChild(ul);
    }
    /* One entry per region; both sides marked become side "both". */
    function get() {
      var per = {}, order = [];
      Object.keys(chosen).forEach(function (key) {
        var parts = key.split('|'), id = parts[0], sd = parts[1];
        if (!(id in per)) { per[id] = sd; order.push(id); }
        else if (per[id] !== sd) per[id] = 'both';
      });
      return order.map(function (id) { return { id: id, side: per[id] }; });
    }
    function set(list) {
      Object.keys(chosen).forEach(function (k) { setKey(k, false, true); });
      (list || []).forEach(function (x) {
        var r = byId[x.id];
        if (!r) return;
        if (!r.sided) setKey(x.id + '|', true, true);
        else if (x.side === 'both' || !x.side) { setKey(x.id + '|left', true, true); setKey(x.id + '|right', true, true); }
        else setKey(x.id + '|' + x.side, true, true);
      });
      changed();
    }
    renderChosen();
    return { get: get, set: set, clear: function () { set([]); }, element: wrap,
             show: function (key) { var c = CROPS.filter(function (x) { return x.key === key; })[0]; if (c) showCrop(c.view, c.part); } };
  }
  function lowerFirst(t) { return t.charAt(0).toLowerCase() + t.slice(1); }

  /* ---- the picture ------------------------------------------------------- */

  function sidesOf(side, sided) {
    if (!sided) return [''];
    if (side === 'left' || side === 'right') return [side];
    return ['left', 'right'];
  }

  /*
   * opts: { pain: [{id, side}], cause: {name, where: [ids], side} or null,
   *         causes: [{name, where, side}] (several at once, instead of cause),
   *         regions: {id: {label, sided}} }
   * Returns an <svg> with the views that hold something, side by side:
   * pain zones hatched warm, cause zones solid cool, and a curved arrow from
   * the cause to the pain.  The svg carries a sentence saying the same.
   */
  function picture(opts) {
    var regions = opts.regions || {};
    function sided(id) { return regions[id] ? !!regions[id].sided : !ZONES.back[id] || !ZONES.back[id].c; }
    function label(id) { return regions[id] ? regions[id].label : id.replace(/_/g, ' '); }
    function find(view, id, side) {
      var z = ZONES[view][id];
      if (!z) return null;
      if (z.c) return { id: id, side: '', view: view, shape: z, mirrored: false };
      var vl = personSide(view, true) === side;
      return { id: id, side: side, view: view, shape: z, mirrored: !vl };
    }
    function expand(list) {
      var out = [];
      list.forEach(function (x) {
        var v = viewOf(x.id);
        if (!v) return;
        var zs = ZONES[v][x.id];
        sidesOf(x.side, !zs.c && sided(x.id)).forEach(function (s) {
          var i = find(v, x.id, zs.c ? '' : s);
          if (i) out.push(i);
        });
      });
      return out;
    }
    var pain = expand(opts.pain || []);
    var causeList = opts.causes || (opts.cause ? [opts.cause] : []);
    var cause = [];
    causeList.forEach(function (c) {
      expand((c.where || []).map(function (id) { return { id: id, side: c.side }; })).forEach(function (i) {
        if (!cause.some(function (x) { return x.id === i.id && x.side === i.side; })) cause.push(i);
      });
    });
    var views = ['back', 'front'].filter(function (v) {
      return pain.concat(cause).some(function (i) { return i.view === v; });
    });
    if (!views.length) views = ['back'];
    var GAP = 30;

    /* The arrow runs along the cause's own link (opts.link: the muscle's
     * places `from` and the painful place `to` that it refers pain to or
     * pulls on): from the muscle's drawn place nearest that pain zone.
     * With both views shown, the order of the figures is the one that keeps
     * the arrow short: the front view mirrors the back, so a left-sided
     * arrow runs best from a front figure on the left to a back figure on
     * the right. */
    var link = opts.link || null;
    function linkPair(offset) {
      if (!link) return null;
      var best = null;
      var ends = pain.filter(function (p) {
        return p.id === link.to.id && (!link.to.side || !p.side || link.to.side === 'both' || p.side === link.to.side);
      });
      cause.forEach(function (c) {
        if ((link.from || []).indexOf(c.id) < 0) return;
        ends.forEach(function (p) {
          if (c.id === p.id && c.side === p.side) return;
          var a = centroid(c), b = centroid(p);
          var ax = a[0] + offset[c.view], bx = b[0] + offset[p.view];
          var cost = Math.hypot(ax - bx, a[1] - b[1]) + (c.side && p.side && c.side !== p.side ? 1000 : 0);
          if (!best || cost < best.cost) best = { cost: cost, a: [ax, a[1]], b: [bx, b[1]], c: c, p: p };
        });
      });
      return best;
    }
    function offsets(order) {
      var o = {};
      order.forEach(function (v, k) { o[v] = k * (W + GAP); });
      return o;
    }
    if (views.length === 2) {
      var b1 = linkPair(offsets(['back', 'front'])), b2 = linkPair(offsets(['front', 'back']));
      if (b1 && b2 && b2.cost < b1.cost) views = ['front', 'back'];
    }
    var offset = offsets(views);
    var best = linkPair(offset);
    var total = views.length * W + (views.length - 1) * GAP;
    /* Show the body from the head down to a little below the lowest marked
     * zone: most knots are in the upper back, and a smaller picture is a
     * clearer one on a phone. */
    var low = 0;
    pain.concat(cause).forEach(function (i) {
      var s = i.shape, y = s.e ? s.e[1] + Math.max(s.e[2], s.e[3]) : Math.max.apply(null, s.p.map(function (p) { return p[1]; }));
      low = Math.max(low, y);
    });
    var PH = Math.min(H, Math.max(250, low + 45));
    var svg = el('svg', { viewBox: '0 0 ' + total + ' ' + PH, 'class': 'kf-picture kf-views-' + views.length, role: 'img' });
    var defs = el('defs', {}, svg);
    var uid = 'kfp' + (picture.n = (picture.n || 0) + 1);
    var pat = el('pattern', { id: uid + 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse',
                              patternTransform: 'rotate(45)' }, defs);
    el('rect', { width: 6, height: 6, 'class': 'kf-hatch-bg' }, pat);
    el('rect', { width: 3, height: 6, 'class': 'kf-hatch-fg' }, pat);
    var mk = el('marker', { id: uid + 'head', viewBox: '0 0 10 10', refX: 8, refY: 5,
                            markerWidth: 3.6, markerHeight: 3.6, orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M0,0 L10,5 L0,10 z', 'class': 'kf-arrow-head' }, mk);

    views.forEach(function (v) {
      var g = el('g', { transform: 'translate(' + offset[v] + ',0)' }, svg);
      drawFigure(g, v);
      drawSideLabels(g, v);
      var t = el('text', { x: W / 2, y: PH - 6, 'class': 'kf-view-label', 'text-anchor': 'middle' }, g);
      t.textContent = VIEW_TITLE[v];
    });
    function draw(list, cls) {
      list.forEach(function (i) {
        var sa = shapeAttrs(i);
        var g = el('g', { transform: 'translate(' + offset[i.view] + ',0)' }, svg);
        var z = el(sa[0], sa[1], g);
        z.setAttribute('class', cls);
        z.setAttribute('data-region', i.id);
        z.setAttribute('data-side', i.side);
        if (cls === 'kf-pain-zone') z.setAttribute('fill', 'url(#' + uid + 'hatch)');
      });
    }
    draw(cause, 'kf-cause-zone');
    draw(pain, 'kf-pain-zone');
    /* Numbered muscles (the therapist's page): each number on the first of
     * its places that no earlier muscle took, so a table row can be found
     * on the figure. */
    var taken = {};
    causeList.forEach(function (c) {
      if (!c.label) return;
      var mine = cause.filter(function (i) {
        return (c.where || []).indexOf(i.id) >= 0 && sidesOf(c.side, true).indexOf(i.side || 'left') >= 0 || (c.where || []).indexOf(i.id) >= 0 && !i.side;
      });
      if (!mine.length) return;
      var spot = mine.filter(function (i) { return !taken[i.id + i.side]; })[0] || mine[0];
      taken[spot.id + spot.side] = true;
      var ct = centroid(spot), x = ct[0] + offset[spot.view], y = ct[1];
      var g = el('g', { 'class': 'kf-num', 'data-label': String(c.label) }, svg);
      el('circle', { cx: r1(x), cy: r1(y), r: 7 }, g);
      var tx = el('text', { x: r1(x), y: r1(y + 3.5), 'text-anchor': 'middle' }, g);
      tx.textContent = String(c.label);
    });

    var same = !!opts.single && !best && cause.some(function (c) { return pain.some(function (p) { return p.id === c.id && p.side === c.side; }); });
    if (best && Math.hypot(best.a[0] - best.b[0], best.a[1] - best.b[1]) > 4) {
      var a = best.a, b = best.b;
      var mx = (a[0] + b[0]) / 2, my = (a[1] + b[1]) / 2;
      var dx = b[0] - a[0], dy = b[1] - a[1], len = Math.hypot(dx, dy);
      /* Bend the arrow sideways, away from the spine. */
      var bend = Math.max(10, len * 0.3), nx = -dy / len, ny = dx / len;
      if (best.c.view !== best.p.view) {
        /* Across the gap between the figures: a gentle arch over it. */
        bend = Math.max(10, len * 0.12);
        if (ny > 0) { nx = -nx; ny = -ny; }
      } else if ((mx % (W + GAP)) < W / 2 ? nx > 0 : nx < 0) { nx = -nx; ny = -ny; }
      /* Stop short of the centres so the ends do not hide the zones. */
      var sh = Math.min(3, len / 6);
      var a2 = [a[0] + dx / len * sh, a[1] + dy / len * sh], b2 = [b[0] - dx / len * sh, b[1] - dy / len * sh];
      var d = 'M' + r1(a2[0]) + ',' + r1(a2[1]) + ' Q' + r1(mx + nx * bend) + ',' + r1(my + ny * bend) +
              ' ' + r1(b2[0]) + ',' + r1(b2[1]);
      el('path', { d: d, 'class': 'kf-arrow-halo' }, svg);
      el('path', { d: d, 'class': 'kf-arrow', 'marker-end': 'url(#' + uid + 'head)' }, svg);
      el('circle', { cx: r1(a2[0]), cy: r1(a2[1]), r: 3, 'class': 'kf-arrow-tail' }, svg);
    }

    /* The same picture in words, for screen readers and the caption. */
    function words(list) {
      var seen = {}, out = [];
      list.forEach(function (i) {
        var k = i.id;
        if (!seen[k]) { seen[k] = []; out.push(k); }
        if (i.side && seen[k].indexOf(i.side) < 0) seen[k].push(i.side);
      });
      return out.map(function (id) {
        var s = seen[id].length === 2 ? 'both' : seen[id][0] || '';
        return zoneName(label(id), s);
      }).join('; ');
    }
    var sentence = pain.length ? 'It hurts at ' + words(pain) + '.' : 'No painful spot was marked.';
    if (causeList.length) {
      if (cause.length) {
        sentence += opts.single ? ' The cause, ' + opts.single + ', sits at ' + words(cause) + '.'
          : ' The muscles to work on sit at ' + words(cause) + '.';
      }
      if (best) sentence += ' An arrow runs from the cause to where it hurts.';
      if (same) sentence += ' The cause is right where it hurts.';
    }
    svg.setAttribute('aria-label', sentence);
    var title = el('title', {}, svg);
    title.textContent = sentence;
    svg.kfSentence = sentence;
    svg.kfHasArrow = !!(best && svg.querySelector('.kf-arrow'));
    return svg;
  }

  KF.BodyMap = {
    picker: picker, picture: picture, zoneName: zoneName, sideWords: sideWords,
    viewOf: viewOf, isDrawn: isDrawn, ZONES: ZONES, W: W, H: H, CROPS: CROPS
  };
})();
