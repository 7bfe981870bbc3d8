#!/usr/bin/env node
// bench/nlu: Parley's intent model (`parley eval --json`) against NLP.js
// (node-nlp, default settings) on the four public benchmarks, same files,
// side by side.
//
//   node bench/nlu/run.js [--parley build/parley] [--data ../shared/datasets]
//                         [--only snips,clinc150] [--skip-nlpjs]
//
// NLP.js gets one addDocument per training line ("oos" lines left out, as for
// Parley) and answers "None" below its own threshold, which counts as out of
// scope. Times are wall clock on this machine: training, and the mean of
// process() per test utterance.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf('--' + name);
  return i >= 0 ? args[i + 1] : def;
};
const root = path.resolve(__dirname, '..', '..');
const parley = path.resolve(opt('parley', path.join(root, 'build', 'parley')));
const data = path.resolve(opt('data', path.join(root, '..', 'shared', 'datasets')));
const only = opt('only', '');
const skipNlp = args.includes('--skip-nlpjs');

const runs = [
  { name: 'SNIPS', dir: 'snips-2017-06', train: 'train.jsonl', metric: 'intent', slots: true },
  { name: 'SNIPS few-10', dir: 'snips-2017-06', train: 'fewshot-10.jsonl', metric: 'intent' },
  { name: 'CLINC150', dir: 'clinc150', train: 'train.jsonl', metric: 'inscope', val: 'val.jsonl' },
  { name: 'HWU64', dir: 'hwu64-kfold1', train: 'train.jsonl', metric: 'intent' },
  { name: 'Banking77', dir: 'banking77', train: 'train.jsonl', metric: 'intent' },
].filter((r) => !only || only.split(',').some((o) => r.dir.startsWith(o) || r.name === o));

const readJsonl = (file) =>
  fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

function runParley(r) {
  const a = ['eval', '--train', path.join(data, r.dir, r.train), '--test',
    path.join(data, r.dir, 'test.jsonl'), '--json'];
  if (r.val) a.push('--val', path.join(data, r.dir, r.val));
  return JSON.parse(execFileSync(parley, a, { encoding: 'utf8', maxBuffer: 1 << 20 }));
}

async function runNlpjs(r) {
  const { NlpManager } = require('node-nlp');
  const train = readJsonl(path.join(data, r.dir, r.train)).filter((l) => l.intent !== 'oos');
  const test = readJsonl(path.join(data, r.dir, 'test.jsonl'));
  const manager = new NlpManager({ languages: ['en'], nlu: { log: false }, autoSave: false,
    autoLoad: false, forceNER: false });
  for (const l of train) manager.addDocument('en', l.text, l.intent);
  const t0 = process.hrtime.bigint();
  await manager.train();
  const trainMs = Number(process.hrtime.bigint() - t0) / 1e6;
  let right = 0, inScope = 0, inRight = 0, oos = 0, oosRight = 0;
  const t1 = process.hrtime.bigint();
  for (const l of test) {
    const res = await manager.process('en', l.text);
    const pred = !res.intent || res.intent === 'None' ? 'oos' : res.intent;
    const ok = pred === l.intent;
    right += ok;
    if (l.intent === 'oos') { oos++; oosRight += ok; } else { inScope++; inRight += ok; }
  }
  const inferUs = Number(process.hrtime.bigint() - t1) / 1e3 / test.length;
  return {
    intent_accuracy: (100 * right) / test.length,
    in_scope_accuracy: (100 * inRight) / inScope,
    oos_recall: oos ? (100 * oosRight) / oos : null,
    slot_f1: null,
    train_ms: trainMs,
    infer_us: inferUs,
  };
}

const f = (v, d = 1) => (v === null || v === undefined ? '-' : v.toFixed(d));
const pad = (s, n) => String(s).padStart(n);

(async () => {
  const rows = [];
  for (const r of runs) {
    process.stderr.write(`${r.name}: parley...`);
    const p = runParley(r);
    let n = null;
    if (!skipNlp) {
      process.stderr.write(' nlp.js...');
      n = await runNlpjs(r);
    }
    process.stderr.write(' done\n');
    rows.push({ r, p, n });
  }
  const head = ['dataset', 'metric', 'Parley', 'NLP.js', 'OOS P/N', 'slot F1', 'train ms P',
    'train ms N', 'x', 'infer us P', 'infer us N', 'x'];
  const w = [13, 9, 7, 7, 11, 8, 11, 11, 6, 11, 11, 6];
  console.log(head.map((h, i) => (i < 2 ? h.padEnd(w[i]) : pad(h, w[i]))).join(' '));
  for (const { r, p, n } of rows) {
    const key = r.metric === 'inscope' ? 'in_scope_accuracy' : 'intent_accuracy';
    const cells = [
      r.name.padEnd(w[0]),
      (r.metric === 'inscope' ? 'in-scope' : 'accuracy').padEnd(w[1]),
      pad(f(p[key]), w[2]),
      pad(n ? f(n[key]) : '-', w[3]),
      pad(p.oos_recall !== null ? `${f(p.oos_recall)}/${n ? f(n.oos_recall) : '-'}` : '-', w[4]),
      pad(r.slots ? f(p.slot_f1) : '-', w[5]),
      pad(f(p.train_ms, 0), w[6]),
      pad(n ? f(n.train_ms, 0) : '-', w[7]),
      pad(n ? f(n.train_ms / p.train_ms, 0) : '-', w[8]),
      pad(f(p.infer_us), w[9]),
      pad(n ? f(n.infer_us) : '-', w[10]),
      pad(n ? f(n.infer_us / p.infer_us, 0) : '-', w[11]),
    ];
    console.log(cells.join(' '));
  }
  const v = rows.length ? rows[0].p.vectors : null;
  console.log(v ? `Parley's word vectors: ${v.words} words, ${v.dim} dimensions, read in ${f(v.load_ms, 0)} ms ` +
    '(once per process; not in train ms)'
    : "Parley ran WITHOUT word vectors: scripts/install-deps.sh vectors writes them");
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
