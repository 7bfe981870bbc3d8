/*
 * Parley chat widget: one script tag puts a bot on a page.
 *
 *   <script src="https://bots.example.com/widget/parley-widget.js"
 *           data-bot="AmazonianAirways" data-alias="prod" defer></script>
 *
 * Optional attributes: data-title (panel heading), data-mount (a CSS selector
 * to mount into; default #parley-chat, else the end of <body>), data-server
 * (Parley's base URL; default: where this script came from), data-open
 * ("true" opens the panel on load).
 *
 * It talks to Parley over a WebSocket (GET /webchat/{bot}/{alias}, protocol in
 * docs/webchat.md), reconnects with backoff, and sends over HTTP (the Lex V1
 * PostText endpoint, same session) whenever the socket is not up. The session
 * id and the last messages live in localStorage, so a reload continues the
 * conversation. Everything is drawn with textContent: bot text is never HTML.
 * Plain ES2017, no dependencies; styles in parley-widget.css (CSS variables).
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__parleyWidget) return;
  window.__parleyWidget = true;

  var bot = script.getAttribute('data-bot');
  var alias = script.getAttribute('data-alias') || 'prod';
  if (!bot) {
    console.error('parley-widget: the script tag needs data-bot="BotName"');
    return;
  }
  var base = new URL(script.getAttribute('data-server') || '.', script.src);
  var origin = base.origin;
  var title = script.getAttribute('data-title') || 'Chat with us';
  var key = 'parley:' + bot + ':' + alias + ':';
  var MAX_LOG = 50;
  var SESSION_RE = /^[0-9a-zA-Z._:-]{2,100}$/;

  function store(name, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key + name);
      window.localStorage.setItem(key + name, value);
    } catch (e) {
      /* storage disabled: the conversation lasts as long as the page */
    }
    return null;
  }

  function newSessionId() {
    var b = new Uint8Array(12);
    window.crypto.getRandomValues(b);
    return 'w-' + Array.prototype.map.call(b, function (x) {
      return (x + 256).toString(16).slice(1);
    }).join('');
  }

  var sessionId = store('session');
  if (!sessionId || !SESSION_RE.test(sessionId)) {
    sessionId = newSessionId();
    store('session', sessionId);
  }
  var history = [];
  try {
    history = JSON.parse(store('log') || '[]');
    if (!Array.isArray(history)) history = [];
  } catch (e) {
    history = [];
  }

  /* ---- the DOM ---- */

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  var css = el('link');
  css.rel = 'stylesheet';
  css.href = new URL('parley-widget.css', script.src).href;
  document.head.appendChild(css);

  var uid = 'parley-' + Math.random().toString(36).slice(2, 8);
  var root = el('div', 'parley-widget');
  root.setAttribute('data-transport', 'connecting');
  var launcher = el('button', 'parley-launcher');
  launcher.type = 'button';
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-controls', uid + '-panel');
  launcher.appendChild(el('span', 'parley-launcher-icon', '\u{1F4AC}')).setAttribute('aria-hidden', 'true');
  launcher.appendChild(el('span', 'parley-launcher-label', title));

  var panel = el('section', 'parley-panel');
  panel.id = uid + '-panel';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-labelledby', uid + '-title');
  var head = el('header', 'parley-header');
  var h = el('h2', 'parley-title', title);
  h.id = uid + '-title';
  var close = el('button', 'parley-close', '\u00d7');
  close.type = 'button';
  close.setAttribute('aria-label', 'Close chat');
  head.appendChild(h);
  head.appendChild(close);

  var log = el('ol', 'parley-log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-label', 'Conversation');
  log.tabIndex = 0;
  var typing = el('div', 'parley-typing');
  typing.hidden = true;
  typing.setAttribute('aria-hidden', 'true');
  typing.appendChild(el('span'));
  typing.appendChild(el('span'));
  typing.appendChild(el('span'));
  var status = el('div', 'parley-status');
  status.setAttribute('role', 'status');

  var form = el('form', 'parley-form');
  var label = el('label', 'parley-sr', 'Message');
  label.htmlFor = uid + '-input';
  var input = el('input', 'parley-input');
  input.id = uid + '-input';
  input.type = 'text';
  input.autocomplete = 'off';
  input.maxLength = 1024;
  input.placeholder = 'Type a message\u2026';
  var send = el('button', 'parley-send', 'Send');
  send.type = 'submit';
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);

  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(status);
  panel.appendChild(form);
  root.appendChild(launcher);
  root.appendChild(panel);

  function mount() {
    var sel = script.getAttribute('data-mount');
    var host = (sel && document.querySelector(sel)) || document.getElementById('parley-chat') || document.body;
    host.appendChild(root);
    history.forEach(function (m, i) {
      draw(m, i === history.length - 1);
    });
    if (script.getAttribute('data-open') === 'true' || store('open') === '1') setOpen(true, false);
  }

  function setOpen(open, focus) {
    panel.hidden = !open;
    root.classList.toggle('parley-open', open);
    launcher.setAttribute('aria-expanded', String(open));
    store('open', open ? '1' : '0');
    if (open) {
      log.scrollTop = log.scrollHeight;
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
  }

  launcher.addEventListener('click', function () {
    setOpen(panel.hidden, true);
  });
  close.addEventListener('click', function () {
    setOpen(false, true);
  });
  root.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && !panel.hidden) {
      e.preventDefault();
      setOpen(false, true);
    }
  });

  /* ---- the conversation ---- */

  function remember(m) {
    history.push(m);
    if (history.length > MAX_LOG) history = history.slice(-MAX_LOG);
    store('log', JSON.stringify(history));
  }

  function disableCards() {
    var old = log.querySelectorAll('.parley-card button');
    for (var i = 0; i < old.length; i++) old[i].disabled = true;
  }

  /* m: {from: 'user'|'bot'|'error', text, cards?, state?} */
  function draw(m, live) {
    var li = el('li', 'parley-msg parley-' + m.from);
    if (m.state) li.setAttribute('data-dialog-state', m.state);
    var who = el('span', 'parley-sr', m.from === 'user' ? 'You: ' : m.from === 'bot' ? title + ': ' : 'Error: ');
    li.appendChild(who);
    (m.text || '').split('\n\n').forEach(function (part) {
      if (part) li.appendChild(el('p', 'parley-text', part));
    });
    (m.cards || []).forEach(function (c) {
      var card = el('div', 'parley-card');
      if (c.title) card.appendChild(el('p', 'parley-card-title', c.title));
      if (c.subTitle) card.appendChild(el('p', 'parley-card-subtitle', c.subTitle));
      var row = el('div', 'parley-buttons');
      (c.buttons || []).forEach(function (b) {
        var btn = el('button', 'parley-button', b.text);
        btn.type = 'button';
        btn.disabled = !live;
        btn.addEventListener('click', function () {
          say(b.text, b.value);
          input.focus();
        });
        row.appendChild(btn);
      });
      card.appendChild(row);
      li.appendChild(card);
    });
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function add(m) {
    if (m.from === 'user') disableCards();
    remember(m);
    draw(m, true);
  }

  function messageText(r) {
    if (r.messageFormat === 'Composite' && r.message) {
      try {
        return JSON.parse(r.message).messages.map(function (x) {
          return x.value;
        }).join('\n\n');
      } catch (e) {
        /* fall through: show it as it is */
      }
    }
    return r.message || '';
  }

  /* A Lex V1 PostText-shaped reply (from either transport). */
  function botReply(r) {
    setTyping(false);
    var cards = (r.responseCard && r.responseCard.genericAttachments) || [];
    add({
      from: 'bot',
      text: messageText(r),
      state: r.dialogState,
      cards: cards.map(function (c) {
        return {
          title: c.title,
          subTitle: c.subTitle,
          buttons: (c.buttons || []).map(function (b) {
            return { text: b.text, value: b.value };
          }),
        };
      }),
    });
  }

  function errorReply(text) {
    setTyping(false);
    add({ from: 'error', text: text });
  }

  function setTyping(on) {
    typing.hidden = !on;
    root.classList.toggle('parley-busy', on);
  }

  function say(shown, value) {
    shown = shown.trim();
    if (!shown) return;
    add({ from: 'user', text: shown });
    setTyping(true);
    if (!wsSend(value || shown, !!value)) httpSend(value || shown);
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = '';
    say(text);
  });

  /* ---- transport: WebSocket first, HTTP when it is not up ---- */

  var ws = null;
  var wsReady = false; /* the server said hello */
  var failures = 0;
  var retryTimer = 0;
  var pingTimer = 0;
  var pongDue = 0;
  var nextId = 1;

  function setTransport(t) {
    root.setAttribute('data-transport', t);
    status.textContent = t === 'http' ? 'Live connection unavailable; messages go over HTTP.' : '';
  }

  function connect() {
    retryTimer = 0;
    if (typeof WebSocket !== 'function') {
      setTransport('http');
      return;
    }
    var url = origin.replace(/^http/, 'ws') + '/webchat/' + encodeURIComponent(bot) + '/' + encodeURIComponent(alias);
    try {
      ws = new WebSocket(url);
    } catch (e) {
      return lost();
    }
    ws.onmessage = function (ev) {
      var m;
      try {
        m = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (m.type === 'hello') {
        wsReady = true;
        failures = 0;
        setTransport('websocket');
        pingTimer = setInterval(ping, 25000);
      } else if (m.type === 'typing') {
        setTyping(true);
      } else if (m.type === 'bot') {
        botReply(m);
      } else if (m.type === 'error') {
        if (m.code === 'MessageTooLarge' || m.code === 'RateLimited' || m.id != null) errorReply(m.message);
      } else if (m.type === 'pong') {
        pongDue = 0;
      }
    };
    ws.onclose = lost;
  }

  function ping() {
    if (pongDue && Date.now() > pongDue) {
      ws.close();
      return;
    }
    if (!pongDue) pongDue = Date.now() + 10000;
    ws.send(JSON.stringify({ type: 'ping' }));
  }

  function lost() {
    if (ws) ws.onclose = ws.onmessage = null;
    if (wsReady && root.classList.contains('parley-busy')) {
      errorReply('The connection dropped before the bot answered; please send that again.');
    }
    ws = null;
    wsReady = false;
    clearInterval(pingTimer);
    pongDue = 0;
    failures++;
    if (failures >= 2) setTransport('http');
    /* 0.5 s, 1 s, 2 s ... up to 30 s, with jitter */
    var delay = Math.min(30000, 500 * Math.pow(2, Math.min(failures - 1, 6)));
    if (!retryTimer) retryTimer = setTimeout(connect, delay * (0.75 + Math.random() / 2));
  }

  function wsSend(text, isButton) {
    if (!ws || !wsReady || ws.readyState !== 1) return false;
    var m = { type: isButton ? 'button' : 'text', id: nextId++, sessionId: sessionId };
    m[isButton ? 'value' : 'text'] = text;
    ws.send(JSON.stringify(m));
    return true;
  }

  function httpSend(text) {
    var url = origin + '/bot/' + encodeURIComponent(bot) + '/alias/' + encodeURIComponent(alias) +
      '/user/' + encodeURIComponent(sessionId) + '/text';
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ inputText: text }),
    }).then(function (res) {
      return res.json().then(function (body) {
        if (res.ok) botReply(body);
        else errorReply(body.message || 'The bot could not answer (' + res.status + ').');
      });
    }).catch(function () {
      errorReply('The bot cannot be reached. Check your connection and try again.');
    });
  }

  document.addEventListener('visibilitychange', function () {
    /* back on the page: try the socket again at once */
    if (!document.hidden && !ws && retryTimer) {
      clearTimeout(retryTimer);
      connect();
    }
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
  else mount();
  connect();
})();
