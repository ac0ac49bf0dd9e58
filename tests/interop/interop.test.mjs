// SPDX-License-Identifier: Apache-2.0
'use strict';
// mod_sessiondemo <-> express-session 1.19 + connect-memcached 3.0 interop.
// One memcached, one httpd (a virtual host per configuration) and the
// Express app of app.js (an instance per configuration), driven with ONE
// cookie jar per user: cookies are scoped by host, not port, so whatever one
// side sets the other receives. Every check compares bytes: the raw value in
// memcached (read with the meta command, with its flags and TTL), the
// rendered pages (both sides render templates/*.html), the JSON bodies and the
// Set-Cookie headers. Run with `make test-interop`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import signature from 'cookie-signature';
import { Env, Memcached, TEMPLATES } from '../lib/env.mjs';
import { startHttpd, startExpress } from './lib/servers.mjs';
import { Jar, request } from './lib/http.mjs';
import template from './lib/template.js';

const { loadTemplates } = template;

const views = loadTemplates(TEMPLATES);
const SECRET = 'interop-' + crypto.randomBytes(24).toString('base64');
const DAY_MS = 86400000;
const NAME = 'connect.sid';
// Both sides use the module's default prefix for the main runs; the empty
// prefix (connect-memcached's default) has its own test below.
const PREFIX = 'sess:';

const env = new Env('interop');
let M = {}; // httpd port per virtual host
let E = {}; // Express port per instance
let mc;
let expressLog = [];

before(async () => {
  mc = new Memcached((await env.memcached('main')).port);
  M = await startHttpd(env, 'main', {
    main: { secrets: [SECRET] },
    old: { secrets: ['old'] },
    rot: { secrets: ['new', 'old'] },
    kc: { secrets: ['keyboard cat'] },
    utf: { secrets: ['sëcret☃'] },
    long: { secrets: ['x'.repeat(100)] },
    ns: { secrets: ['new secret', 'keyboard cat'] },
    clamp: { secrets: [SECRET], maxAge: 31 * 86400 },
  });
  ({ ports: E, log: expressLog } = await startExpress(env, env.mcAddr('main'), [
    { name: 'main', secret: [SECRET], maxAge: DAY_MS, prefix: PREFIX },
    { name: 'noprefix', secret: [SECRET], maxAge: DAY_MS },   // connect-memcached default ""
    { name: 'old', secret: ['old'], maxAge: DAY_MS, prefix: PREFIX },
    { name: 'rot', secret: ['new', 'old'], maxAge: DAY_MS, prefix: PREFIX },
    { name: 'kc', secret: 'keyboard cat', maxAge: DAY_MS, prefix: PREFIX },
    { name: 'nomax', secret: [SECRET], maxAge: null, prefix: PREFIX },
  ]));
});

after(async () => {
  if (process.env.SD_INTEROP_VERBOSE) {
    console.log(env.errorLog('main'));
    console.log(expressLog.join('\n'));
  }
  await env.cleanup();
});

// ------------------------------------------------------------------ helpers

const get = (port, path, opts) => request(port, 'GET', path, opts);
const post = (port, path, form, opts = {}) => request(port, 'POST', path, { ...opts, form });

function sidOf(jarOrValue, secrets = [SECRET]) {
  const raw = typeof jarOrValue === 'string' ? jarOrValue : jarOrValue.get(NAME);
  assert.ok(raw, 'the jar holds a session cookie');
  const value = decodeURIComponent(raw);
  assert.ok(value.startsWith('s:'), `cookie value is signed: ${value}`);
  for (const s of secrets) {
    const id = signature.unsign(value.slice(2), s);
    if (id !== false) return id;
  }
  assert.fail(`cookie ${value} does not verify with cookie-signature`);
}

async function stored(id, prefix = PREFIX) {
  const it = await mc.mg(prefix + id);
  if (!it) return null;
  return { raw: it.value.toString('utf8'), bytes: it.value, flags: it.flags, ttl: it.ttl, json: JSON.parse(it.value.toString('utf8')) };
}

function guestView() {
  return { user: { name: 'Guest', isLoggedIn: false, loginTime: null, visitCount: 0 } };
}
function userView(name, loginTime, visitCount, flash) {
  const v = { user: { name, isLoggedIn: true, loginTime, visitCount } };
  if (flash) v.flash = flash;
  return v;
}

// What every stored session written by either side must look like.
function assertStoredFormat(it, what, maxAgeMs = DAY_MS) {
  assert.ok(it, `${what}: the key exists in memcached`);
  assert.equal(it.flags, 2, `${what}: memcached flags 2 (connect-memcached's JSON flag)`);
  assert.ok(!/[\r\n]/.test(it.raw), `${what}: no raw CR or LF`);
  assert.equal(it.raw, JSON.stringify(JSON.parse(it.raw)), `${what}: compact JSON exactly as JSON.stringify writes it`);
  assert.equal(Object.keys(it.json).filter((k) => !/^(0|[1-9][0-9]*)$/.test(k))[0], 'cookie', `${what}: cookie is the first member`);
  const c = it.json.cookie;
  if (maxAgeMs === null) {
    assert.deepEqual(Object.keys(c), ['originalMaxAge', 'expires', 'httpOnly', 'path', 'sameSite'], `${what}: cookie fields`);
    assert.equal(c.originalMaxAge, null);
    assert.equal(c.expires, null);
    assert.equal(it.ttl > 86390 && it.ttl <= 86400, true, `${what}: TTL 86400 without maxAge (got ${it.ttl})`);
    return;
  }
  assert.deepEqual(Object.keys(c), ['originalMaxAge', 'expires', 'httpOnly', 'path', 'sameSite'], `${what}: cookie fields in express-session's order`);
  // express-session derives originalMaxAge from `expires - Date.now()` when it
  // builds a cookie, so a millisecond tick in between stores maxAge - 1 on the
  // Express side (the same tick that gives connect-memcached TTL 86399).
  assert.ok(c.originalMaxAge === maxAgeMs || c.originalMaxAge === maxAgeMs - 1,
            `${what}: originalMaxAge ${c.originalMaxAge} is ${maxAgeMs} (or 1 ms less, Express's tick)`);
  assert.match(c.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${what}: expires is toISOString()`);
  const left = Date.parse(c.expires) - Date.now();
  assert.ok(left > maxAgeMs - 15000 && left <= maxAgeMs + 1000, `${what}: expires = now + maxAge (${left} ms left)`);
  assert.equal(c.httpOnly, true);
  assert.equal(c.path, '/');
  assert.equal(c.sameSite, 'lax');
  const ttl = Math.floor(maxAgeMs / 1000);
  assert.ok(it.ttl > ttl - 15 && it.ttl <= ttl, `${what}: TTL = maxAge/1000 (got ${it.ttl}, want ~${ttl})`);
}

// The module's own member: "sessiondemo" right after "cookie" (realm,
// generation, save and creation times; docs/DESIGN.md), which Express keeps
// as it keeps any unknown member. appKeys() is the rest, in stored order.
function assertMeta(it, what) {
  const keys = Object.keys(it.json);
  const at = keys.indexOf('sessiondemo');
  if (at < 0) return null;
  assert.equal(keys[at - 1], 'cookie', `${what}: sessiondemo follows cookie`);
  const m = it.json.sessiondemo;
  assert.equal(typeof m.realm, 'string', `${what}: sessiondemo.realm`);
  assert.ok(Number.isInteger(m.gen) && m.gen >= 1, `${what}: sessiondemo.gen`);
  return m;
}
function appKeys(it) { return Object.keys(it.json).filter((k) => k !== 'sessiondemo'); }
// A copy of obj with the module's member put where the module puts it.
function withMeta(obj, meta) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'sessiondemo') continue;
    out[k] = v;
    if (k === 'cookie' && meta) out.sessiondemo = meta;
  }
  return out;
}

// Set-Cookie with the value and the date taken out, for comparing formats.
function cookieShape(sc) {
  return sc.replace(/^([^=]+)=[^;]*/, '$1=<value>').replace(/; Expires=[^;]+/, '; Expires=<date>');
}
function assertLoginCookie(res, what) {
  assert.equal(res.setCookie.length, 1, `${what}: exactly one Set-Cookie`);
  const sc = res.setCookie[0];
  assert.equal(cookieShape(sc), `${NAME}=<value>; Path=/; Expires=<date>; HttpOnly; SameSite=Lax`, `${what}: Set-Cookie format`);
  assert.doesNotMatch(sc, /Max-Age/i, `${what}: never Max-Age`);
  assert.match(sc, /^connect\.sid=s%3A[A-Za-z0-9_-]{32}\.[A-Za-z0-9%]+;/, `${what}: encodeURIComponent'd s:<id>.<sig>`);
  const date = /; Expires=([^;]+)/.exec(sc)[1];
  assert.match(date, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
  const left = Date.parse(date) - Date.now();
  assert.ok(left > DAY_MS - 15000 && left <= DAY_MS + 1000, `${what}: Expires = now + 1 day (${left} ms)`);
  return sc;
}

// The page a side must render for a view, byte for byte (both sides render
// the same templates; the Express side through lib/template.js).
async function assertHome(port, jar, view, what, opts = {}) {
  const res = await get(port, '/', { jar, ...opts });
  assert.equal(res.status, 200, `${what}: status`);
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', `${what}: content type`);
  assert.equal(res.body, views.home(view), `${what}: page`);
  return res;
}

async function assertSamePage(path, jar, what) {
  const a = await get(M.main, path, { jar, store: false });
  const b = await get(E.main, path, { jar, store: false });
  assert.equal(a.status, b.status, `${what}: same status`);
  assert.equal(a.headers['content-type'], b.headers['content-type'], `${what}: same content type`);
  assert.equal(a.body, b.body, `${what}: same body`);
  return a;
}

// ------------------------------------------------- pages and plain routes

test('guest pages are identical on both sides', async () => {
  const jar = new Jar();
  for (const p of ['/', '/login', '/login?error=1', '/cart']) await assertSamePage(p, jar, `GET ${p}`);
  const res = await assertHome(M.main, jar, guestView(), 'module guest home');
  assert.equal(res.setCookie.length, 0, 'a guest who only looks gets no cookie (module)');
  const res2 = await assertHome(E.main, jar, guestView(), 'express guest home');
  assert.equal(res2.setCookie.length, 0, 'a guest who only looks gets no cookie (express)');
  for (const port of [M.main, E.main]) {
    assert.equal((await get(port, '/profile', { jar })).headers.location, '/login');
    assert.equal((await get(port, '/protected', { jar })).status, 401);
  }
});

// ------------------------------------------------ the two user journeys

// login on `first`, views alternating, cart on both, logout on `second`.
async function journey(t, first, second, user) {
  const jar = new Jar();
  const side = (port) => (port === M.main ? 'module' : 'express');
  let loginTime, key, setCookieLogin, setCookieLogout;

  await t.test(`a guest cart on ${side(second)} creates a session`, async () => {
    const res = await post(second, '/add-to-cart', { item: 'guest-item' }, { jar });
    assert.equal(res.status, 200);
    assert.equal(res.body, '{"success":true}');
    key = sidOf(jar);
    const it = await stored(key);
    assertStoredFormat(it, 'guest session');
    assert.deepEqual(it.json.cart, ['guest-item']);
  });

  await t.test(`login on ${side(first)} regenerates: old key deleted, new cookie`, async () => {
    const oldKey = key;
    const res = await post(first, '/login', { username: user, password: 'pw' }, { jar });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/');
    setCookieLogin = assertLoginCookie(res, `${side(first)} login`);
    key = sidOf(jar);
    assert.notEqual(key, oldKey, 'a new session ID');
    assert.equal(await stored(oldKey), null, 'the pre-login key is deleted');
    const it = await stored(key);
    assertStoredFormat(it, 'logged-in session');
    assert.deepEqual(appKeys(it), ['cookie', 'isLoggedIn', 'username', 'loginTime', 'visitCount', 'flash']);
    assert.equal(it.json.isLoggedIn, true);
    assert.equal(it.json.username, user);
    assert.match(it.json.loginTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(it.json.loginTime) - Date.now()) < 15000);
    assert.equal(it.json.visitCount, 0);
    assert.deepEqual(it.json.flash, { type: 'success', message: `Welcome, ${user}!` });
    loginTime = it.json.loginTime;
  });

  await t.test(`${side(second)} shows the same user, login time, count 0 and the flash`, async () => {
    const res = await assertHome(second, jar, userView(user, loginTime, 0, { type: 'success', message: `Welcome, ${user}!` }), 'first view');
    assert.equal(res.setCookie.length, 1, 'modified session with maxAge: cookie re-sent');
    assert.equal(cookieShape(res.setCookie[0]), cookieShape(setCookieLogin));
    assert.equal(sidOf(jar), key, 'same session ID');
    const it = await stored(key);
    assertStoredFormat(it, 'after first view');
    assert.deepEqual(appKeys(it), ['cookie', 'isLoggedIn', 'username', 'loginTime', 'visitCount']);
    assert.equal(it.json.visitCount, 1);
    assert.equal(it.json.loginTime, loginTime);
  });

  await t.test('views alternate between the sides with a continuous count', async () => {
    let n = 1;
    for (const port of [first, second, first, second]) {
      await assertHome(port, jar, userView(user, loginTime, n, null), `${side(port)} view ${n}`);
      n += 1;
      const it = await stored(key);
      assert.equal(it.json.visitCount, n, `stored count after ${side(port)} view`);
    }
    for (const p of ['/profile', '/protected']) await assertSamePage(p, jar, `logged-in GET ${p}`);
    const prof = await get(first, '/profile', { jar });
    assert.equal(prof.body, views.profile(userView(user, loginTime, n, null)));
  });

  await t.test('a cart filled on both sides is the same on both', async () => {
    const items = ['apple', 'banana', 'crème brûlée & <tea> "x" = ☃'];
    let i = 0;
    for (const port of [first, second, first]) {
      const res = await post(port, '/add-to-cart', { item: items[i++] }, { jar });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.body, '{"success":true}');
    }
    const a = await assertSamePage('/cart', jar, 'GET /cart');
    assert.equal(a.body, JSON.stringify({ items }));
    const it = await stored(key);
    assertStoredFormat(it, 'after cart');
    assert.deepEqual(appKeys(it), ['cookie', 'isLoggedIn', 'username', 'loginTime', 'visitCount', 'cart']);
    assert.deepEqual(it.json.cart, items);
    for (const port of [M.main, E.main]) {
      const bad = await post(port, '/add-to-cart', { item: '' }, { jar });
      assert.equal(bad.status, 400);
      assert.equal(bad.body, '{"success":false,"error":"item is required"}');
    }
  });

  await t.test(`logout on ${side(second)} logs out both sides`, async () => {
    const oldCookie = jar.get(NAME);
    const res = await post(second, '/logout', null, { jar });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/');
    assert.equal(res.setCookie.length, 1);
    setCookieLogout = res.setCookie[0];
    assert.equal(setCookieLogout, `${NAME}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`);
    assert.equal(jar.get(NAME), undefined, 'the cookie is expired');
    assert.equal(await stored(key), null, 'the key is deleted');
    const old = `${NAME}=${oldCookie}`;
    for (const port of [first, second]) {
      await assertHome(port, null, guestView(), `${side(port)} with the old cookie`, { cookie: old });
      assert.equal((await get(port, '/protected', { cookie: old })).status, 401);
      assert.equal((await get(port, '/cart', { cookie: old })).body, '{"items":[]}');
      await assertHome(port, jar, guestView(), `${side(port)} with the jar`);
    }
  });
  return { setCookieLogin, setCookieLogout };
}

test('login on Express, use on both, logout on the module', async (t) => {
  await journey(t, E.main, M.main, 'alice');
});

test('login on the module, use on both, logout on Express', async (t) => {
  await journey(t, M.main, E.main, 'bob');
});

// ------------------------------------------------------ stored format

test('a session created by the module is byte-identical to one created by Express', async () => {
  const jm = new Jar();
  const je = new Jar();
  await post(M.main, '/login', { username: 'dave', password: 'pw' }, { jar: jm });
  await post(E.main, '/login', { username: 'dave', password: 'pw' }, { jar: je });
  for (const jar of [jm, je]) {
    await get(M.main, '/', { jar });
    await post(E.main, '/add-to-cart', { item: 'pear' }, { jar });
  }
  const m = await stored(sidOf(jm));
  const e = await stored(sidOf(je));
  assertStoredFormat(m, 'module-created');
  assertStoredFormat(e, 'express-created');
  assert.ok(assertMeta(m, 'module-created') && assertMeta(e, 'express-created, written once by the module'));
  const expected = JSON.parse(e.raw);
  expected.cookie.expires = m.json.cookie.expires;
  expected.loginTime = m.json.loginTime;
  assert.equal(m.raw, JSON.stringify(withMeta(expected, m.json.sessiondemo)));
});

test('key prefix: SessionDemoKeyPrefix "" shares sessions with connect-memcached\'s default prefix', async (t) => {
  // httpd cannot pass an empty argument to a TAKE1 directive ("takes one
  // argument"), so this needs SessionDemoKeyPrefix to accept "" (config.c).
  t.after(() => env.httpdStop('prefix'));
  const ports = await startHttpd(env, 'prefix', { empty: { secrets: [SECRET], prefix: '' } });
  const jar = new Jar();
  await post(E.noprefix, '/login', { username: 'erin', password: 'pw' }, { jar });
  const id = sidOf(jar);
  assert.equal(await stored(id, 'sess:'), null, 'connect-memcached default: no prefix');
  const it = await stored(id, '');
  assertStoredFormat(it, 'unprefixed');
  await assertHome(ports.empty, jar, userView('erin', it.json.loginTime, 0, { type: 'success', message: 'Welcome, erin!' }), 'module with prefix ""');
  await assertHome(E.noprefix, jar, userView('erin', it.json.loginTime, 1, null), 'express with prefix ""');
  assert.equal((await stored(id, '')).json.visitCount, 2);
  const jar2 = new Jar();
  await post(ports.empty, '/login', { username: 'erin2', password: 'pw' }, { jar: jar2 });
  assert.ok(await stored(sidOf(jar2), ''), 'the module writes the bare ID as the key');
});

test('TTL: above 30 days the module stores an absolute expiry, never an instant one', async () => {
  const jar = new Jar();
  await post(M.clamp, '/login', { username: 'frank', password: 'pw' }, { jar });
  const it = await stored(sidOf(jar));
  assert.ok(it, 'a 31-day session is still there right after the write');
  // Sent as an absolute time (whole seconds), so memcached may report one more.
  assert.ok(it.ttl > 31 * 86400 - 15 && it.ttl <= 31 * 86400 + 1, `remaining TTL ~31 days (got ${it.ttl})`);
  assert.equal(it.json.cookie.originalMaxAge, 31 * DAY_MS);
  await assertHome(M.clamp, jar, userView('frank', it.json.loginTime, 0, { type: 'success', message: 'Welcome, frank!' }), 'still logged in');
});

// ----------------------------------------------- fields the module does not know

const EXTRA = {
  7: 'an integer-like key (JavaScript lists these first)',
  prefs: { theme: 'dark', z: 1, a: [true, null, -0.5, 1.5e-7, 0.1, 1e21, 123456789012345680000, 2 ** 53 + 2, 1e-7, 100] },
  note: 'ü☃\u2028</script>"\\\u001f\t\u007f \u0000 😀',
  ratio: 0.1 + 0.2,
  empty: {},
  list: [],
  flag: false,
};

test('unknown fields written by Express survive a module write byte for byte', async (t) => {
  const jar = new Jar();
  await post(E.main, '/login', { username: 'gina', password: 'pw' }, { jar });
  await get(E.main, '/', { jar });
  const res = await post(E.main, '/_interop/extra', { json: JSON.stringify(EXTRA) }, { jar });
  assert.equal(res.status, 200);
  const key = sidOf(jar);
  const before = await stored(key);
  assert.ok(before.raw.startsWith('{"7":'), 'Express wrote the integer-like key before cookie');
  let after;
  await t.test('the module reads it and writes it back unchanged', async () => {
    await assertHome(M.main, jar, userView('gina', before.json.loginTime, 1, null), 'module view');
    after = await stored(key);
    const expected = JSON.parse(before.raw);
    expected.visitCount = 2;
    expected.cookie.expires = after.json.cookie.expires;
    assert.ok(assertMeta(after, 'module write'), 'the module added its member');
    assert.equal(after.raw, JSON.stringify(withMeta(expected, after.json.sessiondemo)));
    assert.equal(after.flags, 2);
  });
  await t.test('Express reads the module write', async () => {
    const s = await get(E.main, '/_interop/session', { jar });
    const got = JSON.parse(s.body);
    for (const k of Object.keys(EXTRA)) assert.deepEqual(got[k], JSON.parse(JSON.stringify(EXTRA[k])), `field ${k}`);
    await assertHome(E.main, jar, userView('gina', before.json.loginTime, 2, null), 'express view');
  });
});

test('expires: null (Express without maxAge) is read and kept by the module', async (t) => {
  const jar = new Jar();
  const login = await post(E.nomax, '/login', { username: 'hank', password: 'pw' }, { jar });
  assert.equal(login.setCookie[0], `${login.setCookie[0].split(';')[0]}; Path=/; HttpOnly; SameSite=Lax`, 'browser-session cookie');
  await get(E.nomax, '/', { jar });
  await post(E.nomax, '/_interop/extra', { json: JSON.stringify({ theme: 'dark' }) }, { jar });
  const key = sidOf(jar);
  const before = await stored(key);
  assertStoredFormat(before, 'express without maxAge', null);
  let res;
  await t.test('the module logs the user in from it', async () => {
    res = await assertHome(M.main, jar, userView('hank', before.json.loginTime, 1, null), 'module view');
  });
  await t.test('the module keeps cookie {originalMaxAge:null, expires:null} and TTL 86400', async () => {
    const after = await stored(key);
    const expected = JSON.parse(before.raw);
    expected.visitCount = 2;
    assert.ok(assertMeta(after, 'module write'), 'the module added its member');
    assert.equal(after.raw, JSON.stringify(withMeta(expected, after.json.sessiondemo)));
    assertStoredFormat(after, 'module write of a maxAge-less session', null);
  });
  await t.test('the module keeps it a browser-session cookie (no Set-Cookie with Expires)', async () => {
    // express-session: existing session, no maxAge, modified -> no Set-Cookie.
    assert.deepEqual(res.setCookie, []);
  });
  await t.test('Express still reads it', async () => {
    const after = await stored(key);
    await assertHome(E.nomax, jar, userView('hank', before.json.loginTime, after.json.visitCount, null), 'express view');
  });
});

// ------------------------------------------------- signatures and rotation

test('rotation: a cookie signed with "old" by one side verifies on the other with ["new","old"]', async (t) => {
  await t.test('module signs with old, Express ["new","old"] accepts and re-signs with new, module ["new","old"] accepts', async () => {
    const jar = new Jar();
    await post(M.old, '/login', { username: 'ivy', password: 'pw' }, { jar });
    const id = sidOf(jar, ['old']);
    assert.equal(signature.unsign(decodeURIComponent(jar.get(NAME)).slice(2), 'new'), false);
    const lt = (await stored(id)).json.loginTime;
    const r1 = await assertHome(E.rot, jar, userView('ivy', lt, 0, { type: 'success', message: 'Welcome, ivy!' }), 'express rot');
    assert.equal(r1.setCookie.length, 1);
    assert.equal(sidOf(jar, ['new']), id, 'Express re-issued the same ID signed with "new"');
    await assertHome(M.rot, jar, userView('ivy', lt, 1, null), 'module rot');
    assert.equal(sidOf(jar, ['new']), id);
    await assertHome(M.old, jar, guestView(), 'module with only "old" rejects a "new" signature');
  });
  await t.test('Express signs with old, module ["new","old"] accepts and re-signs with new, Express ["new","old"] accepts', async () => {
    const jar = new Jar();
    await post(E.old, '/login', { username: 'jack', password: 'pw' }, { jar });
    const id = sidOf(jar, ['old']);
    const lt = (await stored(id)).json.loginTime;
    const r1 = await assertHome(M.rot, jar, userView('jack', lt, 0, { type: 'success', message: 'Welcome, jack!' }), 'module rot');
    assert.equal(r1.setCookie.length, 1);
    assert.equal(sidOf(jar, ['new']), id, 'the module re-issued the same ID signed with "new"');
    await assertHome(E.rot, jar, userView('jack', lt, 1, null), 'express rot');
    await assertHome(E.old, jar, guestView(), 'Express with only "old" rejects a "new" signature');
  });
});

// ----------------------------------------- the §6 vectors through both sides

async function putSession(id, user, count) {
  const now = Date.now();
  const sess = {
    cookie: { originalMaxAge: DAY_MS, expires: new Date(now + DAY_MS).toISOString(), httpOnly: true, path: '/', sameSite: 'lax' },
    isLoggedIn: true, username: user, loginTime: new Date(now).toISOString(), visitCount: count,
  };
  await mc.set(PREFIX + id, JSON.stringify(sess), 2, 600);
  return sess;
}

const VECTORS = [
  { id: 'abc', secret: 'keyboard cat', signed: 'abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU',
    header: 'connect.sid=s%3Aabc.BpxCrWRpvZMh%2Fwk%2Fdjl34N%2Bm%2BVQEU7K%2F5WenLwJCgFU' },
  { id: 'Xy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN', secret: 'keyboard cat', signed: 'Xy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN.lNx3Gg02jtCwATqktFh1S7ZIrY9tiOt+RhdG75BGT0Q',
    header: 'connect.sid=s%3AXy3_-k9QwErTyUiOpAsDfGhJkLzXcVbN.lNx3Gg02jtCwATqktFh1S7ZIrY9tiOt%2BRhdG75BGT0Q' },
  { id: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', secret: 'keyboard cat', signed: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.RT5Cal5xFtX9GjJLGoiK+GzZ+cCRnZ5ZbIS8ml7E5Xo',
    header: 'connect.sid=s%3AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.RT5Cal5xFtX9GjJLGoiK%2BGzZ%2BcCRnZ5ZbIS8ml7E5Xo' },
  { id: 'a.b.c', secret: 'keyboard cat', signed: 'a.b.c.G8ReS2HiYVtvMBGFvZUGp5RaCauWFLUTjnnTm/EQ2aE' },
  { id: 'iytEh9pT4i7BYAPatfrlrQb7XoAqm3SP', secret: 'keyboard cat', signed: 'iytEh9pT4i7BYAPatfrlrQb7XoAqm3SP.GiB+2QD0cN42/Jebkph5OmR890MCGG+MMLKhPwtKjAU' },
  { id: 'abc', secret: 'sëcret☃', vhost: 'utf', signed: 'abc.Rd5fYfWg3jlNGPPCUAniwtnChm90XImYVSW3xXgOE3E' },
  { id: 'abc', secret: 'x'.repeat(100), vhost: 'long', signed: 'abc.yUOuS6hTJW4NdBdputjgFRr92sxlRTnwvkd26f57bok' },
];

test('§6 vectors: cookie-signature, the module and Express agree', async (t) => {
  for (const v of VECTORS) {
    await t.test(`${v.id} / ${v.secret.length > 20 ? '100 x' : v.secret}`, async () => {
      assert.equal(signature.sign(v.id, v.secret), v.signed, 'cookie-signature produces the vector');
      if (v.header) assert.equal(`${NAME}=${encodeURIComponent('s:' + v.signed)}`, v.header);
      const sess = await putSession(v.id, 'vec', 5);
      const jar = new Jar();
      jar.set(NAME, encodeURIComponent('s:' + v.signed));
      const port = M[v.vhost || 'kc'];
      const res = await assertHome(port, jar, userView('vec', sess.loginTime, 5, null), 'the module accepts it');
      assert.equal(res.setCookie.length, 1);
      assert.equal(res.setCookie[0].split(';')[0], `${NAME}=${encodeURIComponent('s:' + v.signed)}`, 'the module signs the same value');
      assert.equal(signature.unsign(decodeURIComponent(jar.get(NAME)).slice(2), v.secret), v.id, 'cookie-signature verifies the module cookie');
      if (!v.vhost) await assertHome(E.kc, jar, userView('vec', sess.loginTime, 6, null), 'Express accepts it too');
      await mc.del(PREFIX + v.id);
    });
  }
  await t.test('"new secret" re-signs a "keyboard cat" cookie as the vector says', async () => {
    const sess = await putSession('abc', 'vec', 1);
    const jar = new Jar();
    jar.set(NAME, encodeURIComponent('s:abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU'));
    await assertHome(M.ns, jar, userView('vec', sess.loginTime, 1, null), 'module ["new secret","keyboard cat"]');
    assert.equal(decodeURIComponent(jar.get(NAME)), 's:abc.oHSxOyPiHkOvUE716vx+MbE4bkH5ZA0SEsUACVtA2DE');
    assert.equal(signature.sign('abc', 'new secret'), 'abc.oHSxOyPiHkOvUE716vx+MbE4bkH5ZA0SEsUACVtA2DE');
    await mc.del(PREFIX + 'abc');
  });
  await t.test('negative vectors are guests on both sides', async () => {
    const sess = await putSession('abc', 'vec', 1);
    const bad = [
      'abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU=',
      'abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU ',
      'abc',
      '',
      'abc.wFpojh7FWZVfQ4riabk4rKbkgSSmPAKYQpkRJ1Xzl7U',
    ];
    for (const b of bad) {
      for (const port of [M.kc, E.kc]) {
        const cookie = `${NAME}=${encodeURIComponent('s:' + b)}`;
        await assertHome(port, null, guestView(), `${port === M.kc ? 'module' : 'express'} rejects ${JSON.stringify(b)}`, { cookie });
      }
    }
    // A bare ID (no s:) and the first of two cookies deciding, on both sides.
    const good = `${NAME}=${encodeURIComponent('s:abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU')}`;
    for (const port of [M.kc, E.kc]) {
      await assertHome(port, null, guestView(), 'bare ID', { cookie: `${NAME}=abc` });
    }
    // Two cookies of the name: Express takes the first, a forgery here, and
    // serves a guest; the module uses the one that verifies (docs/interop.md,
    // "Several cookies of the name on one request").
    await assertHome(E.kc, null, guestView(), 'express: first cookie wins', { cookie: `${NAME}=s%3Aabc.x; ${good}` });
    await assertHome(M.kc, null, userView('vec', sess.loginTime, 1, null), 'module: the cookie that verifies wins',
                     { cookie: `${NAME}=s%3Aabc.x; ${good}` });
    await mc.del(PREFIX + 'abc');
  });
});
