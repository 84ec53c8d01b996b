// mock-server.mjs — a stand-in for `knotfinder serve` while developing the
// web page: serves web/ and canned JSON shaped like docs/API.md.  The real
// tests run against the real binary (run.sh); `run.sh --mock` uses this.
//
//   node tests/browser/mock-server.mjs [--port N]
// prints "knotfinder: serving http://127.0.0.1:PORT/" like the real server.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const web = path.join(root, 'web');

function regions() {
  const txt = fs.readFileSync(path.join(root, 'kb', '10-regions.kb'), 'utf8');
  const out = [];
  let cur = null;
  for (const line of txt.split('\n')) {
    const m = line.match(/^\[region (\w+)\]/);
    if (m) { cur = { id: m[1], label: '', view: 'back', sided: false, finding: 'pain_' + m[1] }; out.push(cur); continue; }
    const kv = line.match(/^(\w+)\s*=\s*(.*)$/);
    if (cur && kv) {
      if (kv[1] === 'label') cur.label = kv[2];
      if (kv[1] === 'view') cur.view = kv[2];
      if (kv[1] === 'sided') cur.sided = kv[2] === 'yes';
    }
  }
  return out;
}

const disclaimer = 'This is self-help guidance, not a diagnosis. See a doctor if it gets worse or does not ease.';

function result(findings, emergency) {
  const pain = findings.filter((f) => f.state === 'present' && f.id.startsWith('pain_'));
  const side = (pain[0] && pain[0].side) || 'left';
  if (emergency) {
    return {
      kb_version: 'mock', disclaimer, unrecognised: false, approximate: false, next_question: null,
      triage: { level: 'emergency', message: 'Chest pressure with sweating can be the heart.',
                flags: [{ id: 'cardiac_pattern', level: 'emergency', mimic: 'cardiac', message: 'Pressure in the chest with sweating needs help now.' }] },
      understood: [{ finding: 'chest_pressure', label: 'pressure in the chest', state: 'present', side: '', words: 'chest pressure', origin: 'text' }],
      facts: {}, causes: [{ id: 'cardiac', name: 'the heart', kind: 'mimic', score: 0.4, side: '', where: ['chest'], about: 'x', kept_by: null, reasons: [] }],
      plan: [], massage: []
    };
  }
  return {
    kb_version: 'mock', disclaimer, unrecognised: false, approximate: false,
    triage: { level: 'self_care', message: 'Nothing you said points away from a muscle knot.', flags: [] },
    understood: findings.map((p) => ({ finding: p.id, label: p.id.replace(/_/g, ' '), state: p.state, side: p.side || '', words: '', origin: 'answer' })),
    facts: { age: null, weeks_pregnant: null, duration_days: null, dominant_hand: null },
    causes: [
      { id: 'latissimus_dorsi', name: 'latissimus dorsi (the "lat")', kind: 'muscle', score: 0.62, side,
        where: ['lateral_border', 'under_arm'], about: 'The broad muscle from the arm to the low back.', kept_by: 'mouse_reach',
        reasons: [{ finding: 'pain_medial_border', state: 'present', mechanism: 'pulls', weight: 1.2,
                    why: 'A tight lat pulls the blade outward, so the muscles on its inner edge strain.', words: '' }] },
      { id: 'mouse_reach', name: 'reaching for the mouse', kind: 'habit', score: 0.5, side, where: [], about: 'x', kept_by: null, reasons: [] },
      { id: 'pectoralis_minor', name: 'pectoralis minor', kind: 'muscle', score: 0.3, side, where: ['chest', 'front_shoulder'], about: 'x', kept_by: null, reasons: [] }
    ],
    plan: [
      { order: 1, technique: 'tennis_ball', name: 'Tennis ball on the tender spot', kind: 'release', for: 'latissimus_dorsi', side,
        steps: ['Lie on a ball under the spot.', 'Breathe and let it sink in.'], dose: 'About 5 minutes, once or twice a day.', caution: 'Not on bone.', timer: { work_s: 300, rest_s: 0, reps: 1 } },
      { order: 2, technique: 'lat_pinch', name: 'Lat pinch', kind: 'release', for: 'latissimus_dorsi', side,
        steps: ['Someone grasps the muscle at the outer edge of the blade and squeezes.'], dose: '20-30 s, 3 times', caution: '', timer: { work_s: 30, rest_s: 30, reps: 3 } },
      { order: 3, technique: 'cold_therapy', name: 'Cold pack', kind: 'release', for: 'latissimus_dorsi', side,
        steps: ['Cold pack wrapped in a cloth.'], dose: '20 minutes on, 20 off', caution: 'Cloth between pack and skin.', timer: { work_s: 1200, rest_s: 1200, reps: 2 } },
      { order: 4, technique: 'switch_sides', name: 'Switch the mouse hand', kind: 'habit', for: 'mouse_reach', side, steps: ['Use the other hand.'], dose: '', caution: '', timer: null }
    ],
    massage: [{ muscle: 'latissimus_dorsi', name: 'latissimus dorsi', side, why: 'Tender at the outer edge of the blade.' },
              { muscle: 'pectoralis_minor', name: 'pectoralis minor', side: 'both', why: 'Rounds the shoulders.' }],
    next_question: findings.some((f) => f.id === 'looks_down') ? null
      : { kind: 'finding', finding: 'looks_down', text: 'Do you spend long with your head bent down?', gain: 0.1 }
  };
}

function interview(body) {
  const findings = body.findings || [];
  const asked = body.asked || 0;
  const text = String(body.text || '');
  if (/chest/i.test(text) || findings.some((f) => f.id === 'chest_pressure' && f.state === 'present')) {
    const fs2 = findings.concat([{ id: 'chest_pressure', state: 'present' }]);
    return { question: null, result: result(fs2, true), findings: fs2, asked };
  }
  const merged = findings.slice();
  if (/crook/i.test(text) && !findings.some((f) => f.id === 'pain_lateral_border')) {
    return { question: { kind: 'clarify', finding: 'pain_medial_border', alt: 'pain_lateral_border', text: 'Is it the inner edge, or the outer edge?',
      options: [{ finding: 'pain_medial_border', label: 'between the spine and the shoulder blade' },
                { finding: 'pain_lateral_border', label: 'the outer edge of the shoulder blade' }] },
      result: null, findings: merged, asked: asked + 1 };
  }
  if (/mouse/i.test(text)) merged.push({ id: 'does_mousing', state: 'present' });
  if (!merged.some((f) => f.id.startsWith('pain_') && f.state === 'present') && asked === 0) {
    return { question: { kind: 'where', text: 'Where does it hurt?', regions: [] }, result: null, findings: merged, asked: asked + 1 };
  }
  if (!merged.some((f) => f.id === 'chest_pressure')) {
    return { question: { kind: 'screen', text: 'Before anything else: do any of these apply now?',
      items: [{ finding: 'chest_pressure', text: 'Pressure or tightness in the chest' }, { finding: 'fever', text: 'A fever' }] },
      result: null, findings: merged, asked: asked + 1 };
  }
  if (!merged.some((f) => f.id === 'does_mousing')) {
    return { question: { kind: 'finding', finding: 'does_mousing', text: 'Do you use a mouse for hours a day?', gain: 0.3 },
      result: null, findings: merged, asked: asked + 1 };
  }
  return { question: null, result: result(merged, false), findings: merged, asked };
}

const types = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

const server = http.createServer((req, res) => {
  const send = (code, obj) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(obj)); };
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/api/v1/')) {
    if (req.method === 'GET' && url.pathname === '/api/v1/regions') return send(200, { regions: regions() });
    if (req.method === 'GET' && url.pathname === '/api/v1/health') return send(200, { status: 'ok', kb_version: 'mock', mode: 'local' });
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => {
      let body;
      try { body = JSON.parse(data); } catch (e) { return send(400, { error: { code: 'bad_json', message: e.message } }); }
      if (url.pathname === '/api/v1/interview') return send(200, interview(body));
      if (url.pathname === '/api/v1/consult') return send(200, result(body.findings || [], false));
      return send(404, { error: { code: 'not_found', message: 'no such endpoint' } });
    });
    return;
  }
  let p = url.pathname === '/' ? '/index.html' : url.pathname;
  const file = path.join(web, path.normalize(p));
  if (!file.startsWith(web) || !fs.existsSync(file)) return send(404, { error: { code: 'not_found', message: p } });
  res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});

const i = process.argv.indexOf('--port');
server.listen(i > 0 ? Number(process.argv[i + 1]) : 0, '127.0.0.1', () => {
  console.log(`knotfinder: serving http://127.0.0.1:${server.address().port}/`);
});
