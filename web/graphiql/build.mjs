// Builds the GraphiQL site: src/ plus the standalone (UMD) builds of graphiql,
// react and react-dom from node_modules (installed with `npm ci`), each with the
// first 8 hex digits of its SHA-256 in its name so Parley's spa-host caches them
// for a year (see docs/spa-hosting.md), and index.html pointing at those names.
//
//   node build.mjs [OUT]     (default: dist/ next to this file)
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, 'dist'));
const mod = (p) => path.join(here, 'node_modules', p);

const files = {
  GRAPHIQL_JS: [mod('graphiql/dist/index.umd.js'), 'graphiql.min.js'],
  GRAPHIQL_CSS: [mod('graphiql/dist/style.css'), 'graphiql.min.css'],
  REACT_JS: [mod('react/umd/react.production.min.js'), 'react.production.min.js'],
  REACT_DOM_JS: [mod('react-dom/umd/react-dom.production.min.js'), 'react-dom.production.min.js'],
  INIT_JS: [path.join(here, 'src/init.js'), 'init.js'],
  PARLEY_CSS: [path.join(here, 'src/parley.css'), 'parley.css'],
};

rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, 'assets'), { recursive: true });
let html = readFileSync(path.join(here, 'src/index.html'), 'utf8');
for (const [key, [from, name]] of Object.entries(files)) {
  let body;
  try {
    body = readFileSync(from);
  } catch (e) {
    console.error(`build.mjs: cannot read ${from} (run \`npm ci\` in ${here} first): ${e.message}`);
    process.exit(1);
  }
  // The UMD bundle ends with a sourceMappingURL comment for a map we do not ship.
  if (name.endsWith('.js')) body = Buffer.from(body.toString('utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
  // GraphiQL's stylesheet inlines its fonts as data: URLs, which the default CSP of a
  // Parley site refuses (font-src 'self'): each becomes a fingerprinted file next to it.
  if (name.endsWith('.css')) body = Buffer.from(body.toString('utf8').replace(
    /url\((["']?)data:font\/(woff2?);base64,([A-Za-z0-9+/=]+)\1\)/g, (all, q, ext, b64) => {
      const font = Buffer.from(b64, 'base64');
      const file = `font.${createHash('sha256').update(font).digest('hex').slice(0, 8)}.${ext}`;
      writeFileSync(path.join(out, 'assets', file), font);
      return `url(${file})`;
    }));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 8);
  const dot = name.indexOf('.');
  const hashed = `assets/${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
  writeFileSync(path.join(out, hashed), body);
  html = html.replace(`@${key}@`, `/${hashed}`.replace(/^\//, ''));
}
writeFileSync(path.join(out, 'index.html'), html);
console.log(`build.mjs: GraphiQL site in ${out}`);
