// Amazonian Airways — the demo single-page app hosted by Parley (spa-host).
// Plain JavaScript, no build step: client-side routes with history.pushState,
// so a reload on /flights or /about asks the server for a deep link and gets
// the index document back (the SPA fallback).
'use strict';

const FLIGHTS = [
  { no: 'AA 101', from: 'Seattle (SEA)', to: 'Manaus (MAO)', departs: '08:10', fare: 412 },
  { no: 'AA 204', from: 'Miami (MIA)', to: 'Belém (BEL)', departs: '11:45', fare: 298 },
  { no: 'AA 317', from: 'Lima (LIM)', to: 'Iquitos (IQT)', departs: '06:30', fare: 129 },
  { no: 'AA 422', from: 'Bogotá (BOG)', to: 'Leticia (LET)', departs: '14:05', fare: 156 },
  { no: 'AA 538', from: 'São Paulo (GRU)', to: 'Manaus (MAO)', departs: '19:20', fare: 221 },
];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

function link(href, text) {
  return el('a', { href, 'data-link': '' }, text);
}

const views = {
  '/': () => [
    el('h1', {}, 'Fly over the rainforest'),
    el('p', { class: 'lead' },
      'Amazonian Airways connects the Americas with the heart of the Amazon basin.'),
    el('p', {}, 'See today\'s ', link('/flights', 'flights'), ' or read ', link('/about', 'about us'), '.'),
  ],
  '/flights': () => {
    const input = el('input', { type: 'search', id: 'flight-filter', placeholder: 'Filter by city' });
    const body = el('tbody');
    const render = () => {
      const q = input.value.trim().toLowerCase();
      body.replaceChildren(...FLIGHTS
        .filter((f) => !q || `${f.from} ${f.to}`.toLowerCase().includes(q))
        .map((f) => el('tr', { class: 'flight' },
          el('td', {}, f.no), el('td', {}, f.from), el('td', {}, f.to),
          el('td', {}, f.departs), el('td', {}, `$${f.fare}`))));
    };
    input.addEventListener('input', render);
    render();
    return [
      el('h1', {}, 'Flights'),
      input,
      el('table', {},
        el('thead', {}, el('tr', {}, ...['Flight', 'From', 'To', 'Departs', 'Fare'].map((h) => el('th', {}, h)))),
        body),
    ];
  },
  '/about': () => [
    el('h1', {}, 'About Amazonian Airways'),
    el('p', {}, 'A fictional airline from the book\'s examples. Its chat assistant books flights ' +
      'through the BookFlight bot.'),
  ],
};

function notFound(path) {
  return [el('h1', {}, 'Page not found'), el('p', {}, `Nothing lives at ${path}. `, link('/', 'Go home'))];
}

function render() {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const view = views[path];
  const main = document.getElementById('view');
  main.replaceChildren(...(view ? view() : notFound(path)));
  main.dataset.route = view ? path : 'not-found';
  document.title = `${view ? main.querySelector('h1').textContent : 'Not found'} — Amazonian Airways`;
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.getAttribute('href') === path);
  }
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  if (a.getAttribute('href') !== location.pathname) history.pushState({}, '', a.getAttribute('href'));
  render();
});
window.addEventListener('popstate', render);
render();
