// bench/graphql: Parley's schema served by graphql-js from memory, for run.sh to compare.
//
//   node server.mjs --schema graphql/parley.graphql --data data.json --port N [--workers N]
//
// A minimal GraphQL-over-HTTP server with nothing but node:http and `graphql`:
// POST /graphql with a JSON body {query, variables, operationName} is parsed,
// validated and executed, answering application/json. Like Parley's
// (graphql.cacheEntries, 512 by default), it keeps the parsed and validated
// documents by query text (an LRU of 512, as Apollo Server and GraphQL Yoga do),
// so a repeated query is only executed; --no-cache parses and validates every
// time. Neither side caches results. The schema is
// buildSchema() of the very SDL Parley compiles in, and the data is what Parley
// answered to run.sh's export query (data.json), held as plain objects: every
// resolver below returns an in-memory object or a slice of an array, so
// graphql-js does its own work (parse, validate, execute, serialize) and nothing
// else. --workers N forks N processes sharing the port (node:cluster), one per
// core, as Node servers are deployed.
import cluster from 'node:cluster';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildSchema, execute, parse, validate, GraphQLError } from 'graphql';

const { values: opts } = parseArgs({
  options: {
    schema: { type: 'string' },
    data: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    workers: { type: 'string', default: '1' },
    'no-cache': { type: 'boolean', default: false },
  },
});
const workers = Math.max(1, Number(opts.workers));

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let ready = 0;
  cluster.on('message', (w, m) => {
    if (m?.listening && ++ready === workers) console.log(`listening on http://${opts.host}:${m.port}`);
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
    process.exit(0);
  });
} else {
  serve();
}

function serve() {
  const schema = buildSchema(readFileSync(opts.schema, 'utf8'));
  const data = JSON.parse(readFileSync(opts.data, 'utf8'));

  // ---- the data, indexed once ----
  const bots = data.bots ?? [];
  const conversations = data.conversations ?? [];
  const byConversation = new Map(conversations.map((c) => [c.id, c]));
  const functions = data.functions ?? [];
  const sites = data.sites ?? [];

  // A Relay connection over an in-memory array, with the exported cursors.
  function connection(items, cursorOf, first = 20, after = null) {
    let start = 0;
    if (after != null) {
      const i = items.findIndex((x) => cursorOf(x) === after);
      if (i < 0) throw new GraphQLError(`Unknown cursor "${after}".`);
      start = i + 1;
    }
    const page = items.slice(start, start + Math.max(0, first));
    return {
      edges: page.map((node) => ({ cursor: cursorOf(node), node })),
      nodes: page,
      pageInfo: {
        hasNextPage: start + page.length < items.length,
        hasPreviousPage: start > 0,
        startCursor: page.length ? cursorOf(page[0]) : null,
        endCursor: page.length ? cursorOf(page.at(-1)) : null,
      },
    };
  }

  // Conversation.turns: the exported turns (newest first) with their cursors.
  function withTurns(c) {
    if (!c) return null;
    return {
      ...c,
      turns: ({ first, after }) => connection(c.turnList, (t) => t.__cursor, first, after),
    };
  }
  const conversationObjects = new Map([...byConversation].map(([id, c]) => [id, withTurns(c)]));
  for (const c of conversations)
    for (const t of c.turnList) t.conversation = () => conversationObjects.get(c.id);

  const botObjects = bots.map((b) => ({ ...b, intent: ({ name }) => b.intents.find((i) => i.name === name) ?? null }));

  // graphql-js's default resolver calls a function-valued property with (args, context, info).
  const root = {
    bots: () => botObjects,
    bot: ({ name }) => botObjects.find((b) => b.name === name) ?? null,
    session: ({ bot, alias, user }) => (data.sessions ?? []).find((x) => x.bot === bot && x.alias === alias && x.user === user) ?? null,
    conversations: ({ bot, first, after }) =>
      connection([...conversationObjects.values()].filter((c) => c.bot === bot), (c) => c.id, first, after),
    conversation: ({ id }) => conversationObjects.get(id) ?? null,
    missedUtterances: ({ bot, first }) => ((data.missed ?? {})[bot] ?? []).slice(0, first),
    functions: () => functions,
    function: ({ name }) => functions.find((f) => f.name === name || f.arn === name) ?? null,
    sites: () => sites,
    site: ({ name }) => sites.find((x) => x.name === name) ?? null,
  };

  // Parsed + validated documents by query text, least recently used first (a Map keeps order).
  const CACHE_MAX = opts['no-cache'] ? 0 : 512;
  const cache = new Map();
  function prepare(query) {
    const hit = cache.get(query);
    if (hit) {
      cache.delete(query);
      cache.set(query, hit);
      return hit;
    }
    let document;
    try {
      document = parse(query);
    } catch (e) {
      return { errors: [e] };
    }
    const errors = validate(schema, document);
    const entry = errors.length ? { errors } : { document };
    if (CACHE_MAX && !errors.length) {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value);
      cache.set(query, entry);
    }
    return entry;
  }

  const server = http.createServer((req, res) => {
    const url = req.url.split('?')[0];
    if (url !== '/graphql' || req.method !== 'POST') {
      res.writeHead(url === '/graphql' ? 405 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'POST /graphql' }] }));
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let status = 200, result;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const { document, errors } = prepare(String(body.query));
        if (errors) {
          status = 400;
          result = { errors };
        } else {
          result = execute({ schema, document, rootValue: root, variableValues: body.variables,
                             operationName: body.operationName });
        }
      } catch (e) {
        status = 400;
        result = { errors: [e instanceof GraphQLError ? e : { message: String(e.message) }] };
      }
      Promise.resolve(result).then((r) => {
        const text = JSON.stringify(r);
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(Number(opts.port), opts.host, () => {
    const { port } = server.address();
    if (cluster.isWorker) process.send({ listening: true, port });
    else console.log(`listening on http://${opts.host}:${port}`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
