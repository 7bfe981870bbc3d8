// Mounts GraphiQL on Parley's /graphql (same origin: the page and the API share Parley's port).
// The endpoint is the data-endpoint attribute of #graphiql, resolved against the page's URL.
// A bearer token for mutations and private data goes in GraphiQL's Headers tab:
//   {"Authorization": "Bearer <PARLEY_ADMIN_TOKEN>"}
// and is kept in localStorage by GraphiQL (shouldPersistHeaders).
(function () {
  'use strict';
  var mount = document.getElementById('graphiql');
  var url = new URL(mount.getAttribute('data-endpoint') || '/graphql', window.location.href).href;
  var fetcher = GraphiQL.createFetcher({ url: url });
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
