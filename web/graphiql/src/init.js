// Mounts GraphiQL on Parley's /graphql (same origin: the page and the API share Parley's port).
// The endpoint is the data-endpoint attribute of #graphiql, resolved against the page's URL;
// queries and mutations go over HTTP, subscriptions over WebSocket (graphql-transport-ws at
// the same URL with ws:, the graphql-ws client that GraphiQL's bundle carries).
// A bearer token for mutations and private data goes in GraphiQL's Headers tab:
//   {"Authorization": "Bearer <PARLEY_ADMIN_TOKEN>"}
// and is kept in localStorage by GraphiQL (shouldPersistHeaders). Over WebSocket GraphiQL
// sends those headers in connection_init's payload ({headers: {...}}), where Parley reads it.
(function () {
  'use strict';
  var mount = document.getElementById('graphiql');
  var url = new URL(mount.getAttribute('data-endpoint') || '/graphql', window.location.href).href;
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: url.replace(/^http/, 'ws') });
  var defaultQuery = [
    '# Parley\'s GraphQL API. Docs: the book icon, top left.',
    '# Mutations and private data need the admin token: Headers,',
    '#   {"Authorization": "Bearer <token>"}. Ctrl-Enter runs.',
    '{',
    '  __typename',
    '  bots {',
    '    name',
    '  }',
    '}',
    '',
  ].join('\n');
  ReactDOM.createRoot(mount).render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: defaultQuery,
    shouldPersistHeaders: true,
    defaultEditorToolsVisibility: true,
  }));
})();
