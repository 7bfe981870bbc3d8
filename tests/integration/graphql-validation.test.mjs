// The graphql-js validation corpus (Debian's golang-github-vektah-gqlparser-dev
// ships it as YAML: validator/imported/spec/*.spec.yml and schemas.yml) run
// through the engine's validator. Each case names a rule, a schema, a query
// and the errors graphql-js reports for that rule; graphql-js's test runs
// only that rule, so the errors our validator reports for other rules are
// set aside and the rest must equal the expected ones (message and
// locations, in any order). The tool tests/tools/gql_validate.c builds the
// schema with gql_schema_new, parses with gql_parse and runs gql_validate_ex
// (the two optional rules, NoDeprecatedCustom and NoSchemaIntrospectionCustom,
// are switched on for their own cases).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import test from 'node:test';
import { parse } from 'yaml';

const SPEC_DIR = process.env.GQL_CORPUS_DIR ??
  '/usr/share/gocode/src/github.com/vektah/gqlparser/validator/imported/spec';
const TOOL = process.env.GQL_VALIDATE_BIN ??
  (process.env.PARLEY_BIN ? path.join(path.dirname(process.env.PARLEY_BIN), 'tests', 'gql_validate')
                          : path.resolve('build/tests/gql_validate'));
const TOTAL = 403; // the case count of Debian 12's package; another version may differ

// Cases graphql-js passes and we cannot, with the reason. Keys: "<Rule file>/<case name>".
const EXCEPTIONS = {
  'KnownTypeNamesRule/references to standard scalars that are missing in schema':
    "graphql-js's buildSchema keeps only the standard scalars the SDL references, so ID, " +
    'Float and Int are unknown in `type Query { foo: String }`; our schemas always hold ' +
    'the five built-in scalars (graphql.h: "The built-in scalars ... are added").',
  'ValuesOfCorrectTypeRule/Invalid input object value/reports error for custom scalar that returns undefined':
    "graphql-js's test gives CustomScalar a JavaScript parseLiteral that rejects every " +
    'literal; a scalar from SDL has no such code, and our custom scalars accept any ' +
    "literal (graphql-js's default parseLiteral does the same).",
  'OverlappingFieldsCanBeMergedRule/finds invalid cases even with field named after fragment':
    "gqlparser's schemas.yml adds `type Type` to schema 0, which graphql-js's own test " +
    'schema lacks; with Type an object type, QueryRoot.fragA and Type.fragA have different ' +
    'object parents and are mutually exclusive, so graphql-js 16.15 itself reports nothing ' +
    'against this schema (checked with buildSchema + validate).',
};

function loadCorpus() {
  const schemas = parse(readFileSync(path.join(SPEC_DIR, 'schemas.yml'), 'utf8'));
  const cases = [];
  for (const file of readdirSync(SPEC_DIR).sort()) {
    if (!file.endsWith('.spec.yml')) continue;
    const ruleFile = file.replace(/\.spec\.yml$/, '');
    for (const c of parse(readFileSync(path.join(SPEC_DIR, file), 'utf8')) ?? []) {
      cases.push({ key: `${ruleFile}/${c.name}`, rule: `${c.rule}Rule`, schema: schemas[c.schema],
                   query: c.query, errors: c.errors ?? [] });
    }
  }
  return cases;
}

// Runs every request through one gql_validate process; resolves the responses in order.
function runTool(requests) {
  return new Promise((resolve, reject) => {
    const proc = spawn(TOOL, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d) => (out += d));
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (signal) return reject(new Error(`gql_validate died of ${signal}`));
      const lines = out.split('\n').filter((l) => l.length > 0);
      if (lines.length !== requests.length)
        return reject(new Error(`gql_validate answered ${lines.length} of ${requests.length}`));
      resolve(lines.map((l) => JSON.parse(l)));
    });
    proc.stdin.end(requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
}

const norm = (e) => JSON.stringify({
  message: e.message,
  locations: (e.locations ?? []).map(({ line, column }) => ({ line, column })),
});

// Why a case fails ('' when it passes).
function compare(c, res) {
  if (res.schemaErrors) return `schema did not build: ${JSON.stringify(res.schemaErrors)}`;
  if (res.syntaxErrors) return `query did not parse: ${JSON.stringify(res.syntaxErrors)}`;
  const actual = res.errors.filter((e) => e.rule === c.rule).map(norm).sort();
  const expected = c.errors.map(norm).sort();
  if (JSON.stringify(actual) === JSON.stringify(expected)) return '';
  return `expected ${JSON.stringify(expected, null, 1)}\n  got ${JSON.stringify(actual, null, 1)}`;
}

test('graphql-js validation corpus', { skip: !existsSync(SPEC_DIR) && 'corpus not installed' },
     async (t) => {
  assert.ok(existsSync(TOOL), `gql_validate not found at ${TOOL} (set GQL_VALIDATE_BIN)`);
  const cases = loadCorpus();
  if (cases.length !== TOTAL) t.diagnostic(`the corpus has ${cases.length} cases, not ${TOTAL}`);
  assert.ok(cases.length > 0, 'the corpus has cases');
  const requests = cases.map((c) => ({
    schema: c.schema,
    query: c.query,
    options: c.rule.endsWith('CustomRule') ? [c.rule] : [],
  }));
  const responses = await runTool(requests);
  let passed = 0;
  const failures = [];
  const stale = [];
  cases.forEach((c, i) => {
    const why = compare(c, responses[i]);
    if (why === '') {
      passed++;
      if (EXCEPTIONS[c.key]) stale.push(c.key);
    } else if (!EXCEPTIONS[c.key]) {
      failures.push(`${c.key}: ${why}`);
    }
  });
  t.diagnostic(`graphql-js validation corpus: ${passed}/${cases.length} pass, ` +
               `${Object.keys(EXCEPTIONS).length} documented exceptions`);
  console.log(`graphql-js validation corpus: ${passed}/${cases.length} pass`);
  assert.deepEqual(failures, [], `${failures.length} cases fail`);
  assert.deepEqual(stale, [], 'these exceptions pass now: remove them from EXCEPTIONS');
  assert.equal(passed, cases.length - Object.keys(EXCEPTIONS).length);
});
