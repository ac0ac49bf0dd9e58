// SPDX-License-Identifier: Apache-2.0
'use strict';
// The tutorial app of mod_sessiondemo written for Express 5 + express-session
// 1.19 + connect-memcached 3.0: the same routes, the same session fields in
// the same order, the same pages (rendered from the module's own templates by
// lib/template.js), the same JSON bodies and the same logout cookie. The
// interop suite runs several instances of it in one process, one per entry
// of the JSON config given as argv[2]:
//   { "memcached": "127.0.0.1:11211", "templates": "/path/templates",
//     "instances": [ { "name": "main", "port": 0, "secret": ["s1", "s2"],
//                      "maxAge": 86400000 | null, "prefix": "",
//                      "cookieName": "connect.sid", "storeOptions": {} } ],
//     "workers": 1 }
// Once every instance listens it prints one JSON line {"ready":{name:port}}.
// It is also the Express peer of `make bench` ("workers": N > 1 runs N
// node:cluster workers sharing the instances' fixed ports).
const cluster = require('node:cluster');

const cfg = JSON.parse(process.argv[2]);
if (cluster.isPrimary && cfg.workers > 1) {
  for (let i = 0; i < cfg.workers; i++) cluster.fork();
  cluster.on('exit', (w, code, sig) => console.error(`express worker ${w.process.pid} exited (${sig || code})`));
  return;
}

const express = require('express');
const session = require('express-session');
const MemcachedStore = require('connect-memcached')(session);
const { loadTemplates } = require('./lib/template');

const views = loadTemplates(cfg.templates);

const MAX_USERNAME = 64;
const MAX_ITEM = 128;
const MAX_CART = 100;

function loggedIn(s) {
  return s.isLoggedIn === true;
}

function userView(s) {
  if (!loggedIn(s)) {
    return { name: 'Guest', isLoggedIn: false, loginTime: null, visitCount: 0 };
  }
  return {
    name: s.username,
    isLoggedIn: true,
    loginTime: s.loginTime,
    visitCount: Number.isInteger(s.visitCount) ? s.visitCount : 0,
  };
}

function html(res, status, body) {
  res.status(status).type('text/html; charset=utf-8').send(body);
}

function makeApp(inst) {
  const app = express();
  const cookieName = inst.cookieName || 'connect.sid';
  const cookie = { path: '/', httpOnly: true, sameSite: 'lax' };
  if (inst.maxAge !== null && inst.maxAge !== undefined) cookie.maxAge = inst.maxAge;
  // The suite wants a failed memcached call to fail fast; the benchmark runs
  // with connect-memcached's defaults ("storeOptions": {}), as an app would.
  const store = new MemcachedStore({
    hosts: [cfg.memcached],
    prefix: inst.prefix,           // undefined = connect-memcached's default ""
    ...(inst.storeOptions || { retries: 0, timeout: 2000, reconnect: 1000, retry: 1000, failures: 1 }),
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(express.urlencoded({ extended: false, limit: 8192 }));
  app.use(session({
    name: cookieName,
    secret: inst.secret,
    resave: false,
    saveUninitialized: false,
    store,
    cookie,
  }));

  app.get('/', (req, res) => {
    const s = req.session;
    const view = { user: userView(s) };
    if (Object.prototype.hasOwnProperty.call(s, 'flash')) {
      const f = s.flash;
      if (f && typeof f === 'object' && !Array.isArray(f) && typeof f.message === 'string') view.flash = f;
      delete s.flash;
    }
    if (loggedIn(s)) s.visitCount = (Number.isInteger(s.visitCount) ? s.visitCount : 0) + 1;
    html(res, 200, views.home(view));
  });

  app.get('/login', (req, res) => {
    html(res, 200, views.login(req.query.error !== undefined ? { error: true } : {}));
  });

  app.post('/login', (req, res, next) => {
    const username = req.body && req.body.username;
    const password = req.body && req.body.password;
    if (typeof username !== 'string' || !username || typeof password !== 'string' || !password) {
      return res.redirect('/login?error=1');
    }
    if (Buffer.byteLength(username) > MAX_USERNAME) return res.status(400).send('Bad Request');
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.isLoggedIn = true;
      req.session.username = username;
      req.session.loginTime = new Date().toISOString();
      req.session.visitCount = 0;
      req.session.flash = { type: 'success', message: `Welcome, ${username}!` };
      // Saved before the redirect goes out (expressjs/session#360).
      req.session.save((err2) => (err2 ? next(err2) : res.redirect('/')));
    });
  });

  app.post('/logout', (req, res, next) => {
    const hadCookie = (req.headers.cookie || '').split(';')
      .some((c) => c.trim().startsWith(cookieName + '='));
    req.session.destroy((err) => {
      if (err) return next(err);
      // The module expires the cookie with the attributes it set it with.
      if (hadCookie) res.clearCookie(cookieName, { path: '/', httpOnly: true, sameSite: 'lax' });
      res.redirect('/');
    });
  });

  app.get('/profile', (req, res) => {
    if (!loggedIn(req.session)) return res.redirect('/login');
    html(res, 200, views.profile({ user: userView(req.session) }));
  });

  app.get('/protected', (req, res) => {
    if (!loggedIn(req.session)) return res.status(401).type('text/plain; charset=utf-8').send('Unauthorized');
    res.type('text/plain; charset=utf-8').send('Protected content');
  });

  app.post('/add-to-cart', (req, res) => {
    const item = req.body && req.body.item;
    if (typeof item !== 'string' || !item) return res.status(400).json({ success: false, error: 'item is required' });
    if (Buffer.byteLength(item) > MAX_ITEM) {
      return res.status(400).json({ success: false, error: `item is longer than ${MAX_ITEM} bytes` });
    }
    if (!Array.isArray(req.session.cart)) req.session.cart = [];
    if (req.session.cart.length >= MAX_CART) {
      return res.status(400).json({ success: false, error: `the cart is full (${MAX_CART} items)` });
    }
    req.session.cart.push(item);
    res.json({ success: true });
  });

  app.get('/cart', (req, res) => {
    res.json({ items: Array.isArray(req.session.cart) ? req.session.cart : [] });
  });

  // Test-only routes (not part of the tutorial app): let the suite put
  // fields the module does not know into a session the real way, and see
  // the session exactly as express-session loaded it.
  app.post('/_interop/extra', (req, res) => {
    Object.assign(req.session, JSON.parse(req.body.json));
    res.json({ success: true });
  });
  app.get('/_interop/session', (req, res) => {
    res.type('application/json').send(JSON.stringify(req.session));
  });

  app.use((req, res) => res.status(404).send('Not Found'));
  // eslint-disable-next-line no-unused-vars
  app.use((err, req, res, next) => {
    console.error(`express ${inst.name}: ${req.method} ${req.url}: ${err.stack || err}`);
    res.status(500).send('Internal Server Error');
  });
  return app;
}

const ready = {};
let pending = cfg.instances.length;
for (const inst of cfg.instances) {
  const server = makeApp(inst).listen(inst.port || 0, '127.0.0.1', () => {
    ready[inst.name] = server.address().port;
    if (--pending === 0) console.log(JSON.stringify({ ready }));
  });
}
process.on('SIGTERM', () => process.exit(0));
