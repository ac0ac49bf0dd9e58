// SPDX-License-Identifier: Apache-2.0
// Real-browser walk of the tutorial's manual test steps
// (../shared/seed/server-side-sessions.md, "Testing the Updated Session
// Application"), plus the cross-origin refusal, in Debian's chromium driven
// by playwright-core. Loopback only.
//
//   node --test tests/browser/walk.test.mjs      (or: make test-browser)
//
// It starts memcached, httpd (conf/httpd-run.conf with overlay.conf) through
// tests/lib/env.mjs and an "attacker" site on other loopback origins, walks
// the steps one test each (a screenshot per step into $SD_BROWSER_OUT, default
// tests/browser/screenshots/), and stops everything it started. Steps depend
// on each other: after a failure the rest are skipped. The pages people look
// at are also shot 375 px (a phone) and 1280 px wide into the run
// directory's screenshots/, copied to $SD_SCREENSHOT_DIR when it is set, and
// checked for the stylesheet: applied (not refused by the CSP), no sideways
// scrolling on a phone, a visible focus ring, a label on every input.
//
// Environment: SD_BROWSER_OUT (results dir), SD_SCREENSHOT_DIR (where the
// page shots are copied), SD_CHROMIUM (default /usr/bin/chromium),
// SD_BROWSER_TIME_LIMIT (seconds for the whole run, 110).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { chromium, request } from 'playwright-core';
import { Env, TOP, freePort } from '../lib/env.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(process.env.SD_BROWSER_OUT || path.join(HERE, 'screenshots'));
const SHOT_COPY = process.env.SD_SCREENSHOT_DIR ? path.resolve(process.env.SD_SCREENSHOT_DIR) : null;
const WIDTHS = [375, 1280];   // a phone, a desktop
const VIEWPORT = { width: 900, height: 640 };
const CHROMIUM = process.env.SD_CHROMIUM || '/usr/bin/chromium';
const TIME_LIMIT_MS = 1000 * Number(process.env.SD_BROWSER_TIME_LIMIT || 110);
const WAIT_MS = 8000;         // every single browser wait
const STEP_MS = 25000;        // every step
const START_MS = 15000;       // each server's start-up

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];
const REFUSED = 'This form was submitted from another site and has been refused.';

const t0 = Date.now();
const env = new Env('browser');
const servers = [];
let APP;          // http://127.0.0.1:<port>, the app
let EVIL_SITE;    // http://127.0.0.1:<other port>: same site, another origin
let EVIL_XSITE;   // http://127.0.0.2:<port>: another site altogether
let ctx;          // the browser (a persistent context in the run directory)
let page;
let shotNo = 0;
let failedStep = null;
let SHOTS;        // the run directory's screenshots/ (env.file is known once set up)
const pageShots = [];
// What the CSP refused to apply, from every page of the walk: the
// stylesheet must never be among it.
const styleRefusals = [];

// ---------------------------------------------------------------- processes
process.on('exit', () => env.killAll());
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { env.killAll(); process.exit(130); });
}
// Whole-run bound: whatever hangs, stop everything and fail.
setTimeout(() => {
  console.error(`browser walk: time limit of ${TIME_LIMIT_MS / 1000} s reached, stopping`);
  env.killAll();
  process.exit(1);
}, TIME_LIMIT_MS).unref();

// The attacker's pages: ordinary forms posting to the app, no script needed
// (a victim clicks "Claim" the way people do).
function attackerSite(host, port) {
  const page = (title, action, fields, button) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family: sans-serif; background: #fee;">
<h1>${title}</h1>
<p>(an attacker's page on <b>http://${host}:${port}</b>, posting to <b>${APP}${action}</b>)</p>
<form method="POST" action="${APP}${action}">
${Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('\n')}
<button type="submit" id="claim">${button}</button>
</form></body></html>`;
  const pages = {
    '/cart': page('Free gift!', '/add-to-cart', { item: 'attacker-item' }, 'Claim your free gift'),
    '/logout': page('Survey', '/logout', {}, 'Start the survey'),
    '/login': page('Win a prize', '/login', { username: 'mallory', password: 'x' }, 'Enter the draw'),
  };
  const s = http.createServer((req, res) => {
    const body = pages[req.url];
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(body || 'not found');
  });
  servers.push(s);
  return new Promise((resolve, reject) => {
    s.on('error', reject);
    s.listen(port, host, () => resolve(`http://${host}:${port}`));
  });
}

// ---------------------------------------------------------------- browser
async function openBrowser() {
  ctx = await chromium.launchPersistentContext(env.file('profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: START_MS,
    viewport: VIEWPORT,
  });
  ctx.setDefaultTimeout(WAIT_MS);
  ctx.setDefaultNavigationTimeout(WAIT_MS);
  page = ctx.pages()[0] || await ctx.newPage();
  page.on('console', (m) => {
    if (/Refused to apply (inline )?style/i.test(m.text())) styleRefusals.push(`${page.url()}: ${m.text()}`);
  });
}

async function shot(name) {
  shotNo += 1;
  const file = path.join(OUT, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: WAIT_MS });
  return file;
}

// One step of the walk: a test with a time bound and a screenshot; after a
// failure the remaining steps are skipped (they build on each other).
function step(name, fn) {
  test(name, { timeout: STEP_MS }, async (t) => {
    if (failedStep) {
      t.skip(`earlier step failed: ${failedStep}`);
      return;
    }
    try {
      await fn();
      await shot(name);
    } catch (e) {
      failedStep = name;
      if (page) await shot(`${name}-FAILED`).catch(() => {});
      throw e;
    }
  });
}

// The page as it is now, NAME-375.png and NAME-1280.png (full page), with
// what the stylesheet promises at each width: it applied (the body is one
// column of at most 40rem, 64rem on the wide pages), and a phone does not
// scroll sideways. JSON answers get the browser's own viewer: shot only.
async function shootWidths(name, { html = true } = {}) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    if (html) {
      const got = await page.evaluate(() => ({
        maxWidth: getComputedStyle(document.body).maxWidth,
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      assert.match(got.maxWidth, /^(640|1024)px$/, `${name} at ${width} px: the stylesheet applies (body max-width ${got.maxWidth})`);
      assert.ok(got.scrollWidth <= got.innerWidth,
        `${name} at ${width} px: no sideways scrolling (content ${got.scrollWidth} px wide)`);
    }
    const file = path.join(SHOTS, `${name}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: WAIT_MS });
    pageShots.push(file);
  }
  await page.setViewportSize(VIEWPORT);
  assert.deepEqual(styleRefusals, [], 'the CSP refused no style');
}

const text = async () => page.innerText('body');
const visitCount = async () => {
  const m = /Visit Count:\s*(\d+)/.exec(await text());
  assert.ok(m, 'the page shows a visit count');
  return Number(m[1]);
};

// Click a submit button and wait for the navigation it starts; returns the
// final response (after redirects).
async function submit(locator) {
  const [resp] = await Promise.all([page.waitForNavigation({ timeout: WAIT_MS }), locator.click()]);
  return resp;
}

function redirectChain(resp) {
  const chain = [];
  for (let r = resp.request().redirectedFrom(); r; r = r.redirectedFrom()) chain.unshift(r);
  return chain;
}

async function cartItems() {
  const resp = await page.goto(`${APP}/cart`);
  assert.equal(resp.status(), 200);
  return JSON.parse(await resp.text()).items;
}

async function assertLoggedInAs(user) {
  const resp = await page.goto(`${APP}/protected`);
  assert.equal(resp.status(), 200, '/protected answers 200 while logged in');
  assert.match(await text(), /Protected content/);
  await page.goto(`${APP}/`);
  const body = await text();
  assert.match(body, new RegExp(`Name:\\s*${user}\\b`));
  assert.match(body, /Status:\s*Logged In/);
}

// ---------------------------------------------------------------- set-up
before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) {
    if (/^\d\d-.*\.png$|^httpd-.*\.log$/.test(f)) fs.rmSync(path.join(OUT, f));
  }
  assert.ok(fs.existsSync(path.join(TOP, '.libs/mod_sessiondemo.so')), 'module built (run make first)');
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} exists (apt-get install chromium)`);

  SHOTS = env.file('screenshots');
  fs.mkdirSync(SHOTS, { recursive: true });
  await env.memcached('main', ['-m', '16']);
  // The walk's one account, for the gate (which refuses demo mode).
  const htpasswd = env.file('walk.htpasswd');
  execFileSync('htpasswd', ['-cbB', htpasswd, 'alice', 'wonderland'], { stdio: 'ignore' });
  fs.chmodSync(htpasswd, 0o644);
  const app = await env.httpd('app', { overlay: path.join(HERE, 'overlay.conf'), env: { SD_BROWSER_HTPASSWD: htpasswd } });
  fs.mkdirSync(path.join(app.dir, 'htdocs/members'), { recursive: true });
  fs.writeFileSync(path.join(app.dir, 'htdocs/members/report.html'),
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Members report</title></head>'
    + '<body><h1>Members-only report</h1><p>Only for logged-in users.</p></body></html>\n');
  fs.chmodSync(path.join(app.dir, 'htdocs/members'), 0o755);
  APP = `http://127.0.0.1:${app.port}`;

  EVIL_SITE = await attackerSite('127.0.0.1', await freePort());
  EVIL_XSITE = await attackerSite('127.0.0.2', await freePort('127.0.0.2'));

  await openBrowser();
  console.log(`app ${APP}, attacker ${EVIL_SITE} and ${EVIL_XSITE}, chromium ${ctx.browser()?.version() ?? ''}`);
});

after(async () => {
  if (ctx) await ctx.close().catch(() => {});
  for (const s of servers) s.close();
  await env.stopAll();
  for (const [from, to] of [['error.log', 'httpd-error.log'], ['origin.log', 'httpd-access.log']]) {
    const src = path.join(env.httpdDir('app'), from);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(OUT, to));
  }
  if (SHOT_COPY && pageShots.length) {
    fs.mkdirSync(SHOT_COPY, { recursive: true });
    for (const f of pageShots) fs.copyFileSync(f, path.join(SHOT_COPY, path.basename(f)));
    console.log(`${pageShots.length} page screenshots (${WIDTHS.join(' and ')} px wide) copied to ${SHOT_COPY}`);
  }
  if (failedStep) {
    const log = path.join(OUT, 'httpd-error.log');
    if (fs.existsSync(log)) console.log(`httpd error log (tail):\n${fs.readFileSync(log, 'utf8').split('\n').slice(-30).map((l) => `  ${l}`).join('\n')}`);
  }
  await env.cleanup();
  console.log(`browser walk took ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${OUT}`);
});

// ---------------------------------------------------------------- the walk
// Seed step 2: visit the application as a guest.
step('guest-home', async () => {
  const resp = await page.goto(`${APP}/`);
  assert.equal(resp.status(), 200);
  const body = await text();
  assert.match(body, /Name:\s*Guest/);
  assert.match(body, /Status:\s*Guest/);
  await page.getByRole('link', { name: 'Login' }).waitFor();
  assert.deepEqual(await ctx.cookies(APP), [], 'a guest who only looks gets no cookie');
});

// Seed step 6 (before logging in): /profile sends a guest to the login page.
step('guest-profile-redirects-to-login', async () => {
  const resp = await page.goto(`${APP}/profile`);
  const chain = redirectChain(resp);
  assert.equal(chain.length, 1, 'one redirect');
  assert.equal((await chain[0].response()).status(), 302);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.locator('#username').waitFor();
  await shootWidths('login');
});

step('guest-protected-401', async () => {
  const resp = await page.goto(`${APP}/protected`);
  assert.equal(resp.status(), 401);
  assert.match(await text(), /Unauthorized/);
});

// The form's `required` attributes stop an empty submit in the browser.
step('login-empty-blocked-by-browser', async () => {
  await page.goto(`${APP}/login`);
  await page.locator('#username').fill('alice');
  let navigated = false;
  page.once('framenavigated', () => { navigated = true; });
  await page.getByRole('button', { name: 'Login' }).click();
  await page.waitForTimeout(300);
  assert.equal(navigated, false, 'no submit with an empty password');
  assert.equal(await page.locator('#password').evaluate((el) => el.validity.valueMissing), true);
});

// ... and the server refuses it too when the browser's check is taken away.
step('login-empty-password-refused-by-server', async () => {
  await page.goto(`${APP}/login`);
  await page.locator('form').evaluate((f) => {
    f.noValidate = true;
    for (const el of f.querySelectorAll('[required]')) el.removeAttribute('required');
  });
  await page.locator('#username').fill('alice');
  const resp = await submit(page.getByRole('button', { name: 'Login' }));
  assert.equal(resp.status(), 200);
  const u = new URL(page.url());
  assert.equal(u.pathname + u.search, '/login?error=1');
  assert.match(await text(), /Please enter both username and password\./);
  assert.deepEqual((await ctx.cookies(APP)).filter((c) => c.name === 'connect.sid'), []);
  await shootWidths('login-error');
});

// Seed step 3: log in; home shows the user, Logged In and the flash.
step('login-alice', async () => {
  await page.goto(`${APP}/`);
  await submit(page.getByRole('link', { name: 'Login' }));
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.locator('#username').fill('alice');
  await page.locator('#password').fill('wonderland');
  const resp = await submit(page.getByRole('button', { name: 'Login' }));
  const chain = redirectChain(resp);
  assert.equal(chain.length, 1);
  assert.equal(chain[0].method(), 'POST');
  assert.equal((await chain[0].response()).status(), 302);
  assert.equal(page.url(), `${APP}/`);
  const body = await text();
  assert.match(body, /Name:\s*alice\b/);
  assert.match(body, /Status:\s*Logged In/);
  assert.match(body, /Login Time:\s*\d{4}-\d\d-\d\dT/);
  assert.equal(await page.locator('.flash').innerText(), 'Welcome, alice!');
  // Styled by its type: the stylesheet's success colours.
  assert.equal(await page.locator('.flash').evaluate((el) => getComputedStyle(el).backgroundColor),
    'rgb(230, 244, 234)', 'the success flash is green');
  await shootWidths('home-flash');

  const [cookie, ...more] = await ctx.cookies(APP);
  assert.equal(more.length, 0, 'one cookie');
  assert.equal(cookie.name, 'connect.sid');
  assert.match(cookie.value, /^s%3A[A-Za-z0-9_-]{32}\./);
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Lax');
  assert.ok(cookie.expires > Date.now() / 1000 + 3600, 'a persistent cookie (Max-Age)');
  assert.equal(await page.evaluate(() => document.cookie), '', 'HttpOnly: invisible to page scripts');
});

// Seed step 4: refresh, still logged in, visit count rises, flash gone.
step('refresh-still-logged-in', async () => {
  const before = await visitCount();
  await page.reload();
  let body = await text();
  assert.match(body, /Name:\s*alice\b/);
  assert.match(body, /Status:\s*Logged In/);
  assert.equal(await page.locator('.flash').count(), 0, 'the flash is shown once');
  const after1 = await visitCount();
  assert.ok(after1 > before, `visit count rises (${before} -> ${after1})`);
  await page.reload();
  const after2 = await visitCount();
  assert.ok(after2 > after1, `and rises again (${after1} -> ${after2})`);
  await shootWidths('home');
});

// Seed step 4: the profile page has the session's data.
step('profile', async () => {
  await submit(page.getByRole('link', { name: 'View Profile' }));
  assert.equal(new URL(page.url()).pathname, '/profile');
  const body = await text();
  assert.match(body, /Welcome, alice!/);
  assert.match(body, /Login Time:\s*\d{4}-\d\d-\d\dT/);
  await page.getByRole('button', { name: 'Logout' }).waitFor();
  await shootWidths('profile');
});

step('protected-200', async () => {
  const resp = await page.goto(`${APP}/protected`);
  assert.equal(resp.status(), 200);
  assert.match(await text(), /Protected content/);
});

// A same-origin POST from the app's own page goes through. The app sends
// CSP default-src 'none' (it has no scripts), so this is a form the page
// submits rather than a fetch(); the browser sends Origin and
// Sec-Fetch-Site: same-origin with it.
step('add-to-cart-same-origin', async () => {
  await page.goto(`${APP}/`);
  const [resp] = await Promise.all([
    page.waitForNavigation(),
    page.evaluate(() => {
      const f = document.createElement('form');
      f.method = 'POST';
      f.action = '/add-to-cart';
      const i = document.createElement('input');
      i.name = 'item';
      i.value = 'book';
      f.append(i);
      document.body.append(f);
      f.submit();
    }),
  ]);
  assert.equal(resp.status(), 200);
  assert.equal((await resp.request().allHeaders()).origin, APP, 'sent with Origin: the app itself');
  assert.deepEqual(JSON.parse(await resp.text()), { success: true });
  assert.deepEqual(await cartItems(), ['book']);
  await shootWidths('cart', { html: false });
});

// A fetch() from the app's page is stopped by the page's own CSP
// (connect-src falls back to default-src 'none'), before any request.
step('fetch-from-page-blocked-by-csp', async () => {
  await page.goto(`${APP}/`);
  const requests = [];
  const onRequest = (r) => { if (r.url().endsWith('/add-to-cart')) requests.push(r); };
  page.on('request', onRequest);
  const result = await page.evaluate(async () => {
    try {
      const r = await fetch('/add-to-cart', { method: 'POST', body: new URLSearchParams({ item: 'pen' }) });
      return { status: r.status, body: await r.text() };
    } catch (e) {
      return { error: String(e) };
    }
  });
  page.off('request', onRequest);
  assert.ok(result.error, `fetch() refused by CSP (got ${JSON.stringify(result)})`);
  assert.equal(requests.length, 0, 'no request left the page');
  assert.deepEqual(await cartItems(), ['book']);
});

// The stylesheet where a keyboard user sees it: Tab moves a visible ring
// (the stylesheet's 3 px outline, not the browser's own) over the login
// form, whose every field has a label.
step('login-form-keyboard-focus', async () => {
  await page.goto(`${APP}/login`);
  const unlabelled = await page.locator('input:not([type=hidden])').evaluateAll(
    (els) => els.filter((el) => el.labels.length === 0).map((el) => el.outerHTML));
  assert.deepEqual(unlabelled, [], 'every input has a label');
  assert.equal(await page.locator('input:not([type=hidden])').count(), 2, 'the two fields were checked');
  const seen = [];
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab');
    seen.push(await page.evaluate(() => {
      const el = document.activeElement;
      const s = getComputedStyle(el);
      return { what: el.id || el.textContent.trim(), ring: `${s.outlineStyle} ${s.outlineWidth}`,
        focusVisible: el.matches(':focus-visible') };
    }));
  }
  assert.deepEqual(seen, [
    { what: 'username', ring: 'solid 3px', focusVisible: true },
    { what: 'password', ring: 'solid 3px', focusVisible: true },
    { what: 'Login', ring: 'solid 3px', focusVisible: true },
  ]);
});

// An error page (404) and the admin status page look like the rest.
step('error-page', async () => {
  const resp = await page.goto(`${APP}/no-such-page`);
  assert.equal(resp.status(), 404);
  assert.match(await text(), /There is no page at this address/);
  await shootWidths('error-404');
});

step('status-page', async () => {
  const resp = await page.goto(`${APP}/sessiondemo-status`);
  assert.equal(resp.status(), 200);
  await page.getByRole('heading', { name: 'sessiondemo status' }).waitFor();
  await shootWidths('status');
});

// A phone (mobile emulation, where a page without the viewport meta element
// is laid out 980 px wide and shrunk) lays the pages out at its own width.
step('phone-viewport', async () => {
  const phone = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: START_MS });
  try {
    const c = await phone.newContext({ viewport: { width: 375, height: 700 }, isMobile: true, hasTouch: true });
    const p = await c.newPage();
    p.setDefaultTimeout(WAIT_MS);
    for (const where of ['/login', '/sessiondemo-status']) {
      await p.goto(`${APP}${where}`, { timeout: WAIT_MS });
      assert.equal(await p.evaluate(() => document.documentElement.clientWidth), 375, `${where}: laid out 375 px wide`);
    }
  } finally {
    await phone.close();
  }
});

// Cross-origin forms (CSRF). 127.0.0.1:<other port> is the same *site* as
// the app, so SameSite=Lax still sends the cookie: only the module's origin
// check stands between the attacker and the session.
async function crossOriginPost(site, pagePath) {
  await page.goto(`${site}${pagePath}`);
  const resp = await submit(page.locator('#claim'));
  assert.equal(resp.status(), 403, 'refused with 403');
  assert.equal(redirectChain(resp).length, 0);
  const req = resp.request();
  assert.equal(req.method(), 'POST');
  assert.equal((await req.allHeaders()).origin, site, 'the browser said where the form came from');
  return resp;
}

step('cross-origin-add-to-cart-refused', async () => {
  const resp = await crossOriginPost(EVIL_SITE, '/cart');
  assert.match(resp.headers()['content-type'], /^application\/json/);
  assert.deepEqual(JSON.parse(await resp.text()), { success: false, error: REFUSED });
  await page.locator('body').waitFor();
  await shot('cross-origin-add-to-cart-403');
  assert.deepEqual(await cartItems(), ['book'], 'the cart is unchanged');
  await assertLoggedInAs('alice');
});

step('cross-origin-logout-refused', async () => {
  const resp = await crossOriginPost(EVIL_SITE, '/logout');
  assert.match(resp.headers()['content-type'], /^text\/html/);
  assert.match(await text(), new RegExp(REFUSED.replace(/\./g, '\\.')));
  await shot('cross-origin-logout-403');
  await assertLoggedInAs('alice');
  assert.deepEqual(await cartItems(), ['book']);
});

// From another site (127.0.0.2) the Lax cookie is not sent, but a login
// CSRF needs none: it would swap the victim into the attacker's account.
step('cross-site-login-refused', async () => {
  const before = (await ctx.cookies(APP)).find((c) => c.name === 'connect.sid').value;
  await crossOriginPost(EVIL_XSITE, '/login');
  assert.match(await text(), new RegExp(REFUSED.replace(/\./g, '\\.')));
  await shot('cross-site-login-403');
  const now = (await ctx.cookies(APP)).find((c) => c.name === 'connect.sid').value;
  assert.equal(now, before, 'the session cookie is unchanged');
  await assertLoggedInAs('alice');
});

// Seed step 4: "Close and reopen your browser - you should still be logged
// in": the same profile directory, a new chromium process.
step('browser-reopened-still-logged-in', async () => {
  const state = await ctx.storageState();
  await ctx.close();
  ctx = null;
  page = null;
  await openBrowser();
  await assertLoggedInAs('alice');
  assert.deepEqual(await cartItems(), ['book']);
  await page.goto(`${APP}/`);

  // The same from saved cookies (storageState) in a separate, fresh browser.
  const other = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: START_MS });
  try {
    const c2 = await other.newContext({ storageState: state });
    const p2 = await c2.newPage();
    p2.setDefaultTimeout(WAIT_MS);
    await p2.goto(`${APP}/protected`, { timeout: WAIT_MS });
    assert.match(await p2.innerText('body'), /Protected content/);
  } finally {
    await other.close();
  }
});

// Seed step 5: logout.
step('logout', async () => {
  await page.goto(`${APP}/`);
  const resp = await submit(page.getByRole('button', { name: 'Logout' }));
  const chain = redirectChain(resp);
  assert.equal(chain.length, 1);
  assert.equal(chain[0].url(), `${APP}/logout`);
  assert.equal((await chain[0].response()).status(), 302);
  assert.equal(page.url(), `${APP}/`);
  const body = await text();
  assert.match(body, /Name:\s*Guest/);
  assert.match(body, /Status:\s*Guest/);
  assert.deepEqual((await ctx.cookies(APP)).filter((c) => c.name === 'connect.sid'), [], 'cookie expired');
});

step('logged-out-protected-401', async () => {
  const resp = await page.goto(`${APP}/protected`);
  assert.equal(resp.status(), 401);
  assert.match(await text(), /Unauthorized/);
});

// Seed step 6: /profile without logging in redirects to the login page.
step('logged-out-profile-redirects-to-login', async () => {
  const resp = await page.goto(`${APP}/profile`);
  assert.equal(redirectChain(resp).length, 1);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.locator('#username').waitFor();
  assert.deepEqual(await cartItems(), [], 'the cart went with the session');
  await page.goto(`${APP}/profile`);
});

// Issue 14: a page of the admin's own behind AuthType sessiondemo. A guest
// is sent to log in and lands back on it.
step('gated-page-login-lands-on-it', async () => {
  const resp = await page.goto(`${APP}/members/report.html`);
  assert.equal(redirectChain(resp).length, 1, 'one redirect, to the login page');
  const at = new URL(page.url());
  assert.equal(at.pathname, '/login');
  assert.equal(at.searchParams.get('next'), '/members/report.html');
  await page.locator('#username').fill('alice');
  await page.locator('#password').fill('wonderland');
  await submit(page.locator('button[type="submit"]'));
  assert.equal(page.url(), `${APP}/members/report.html`, 'the login lands on the gated page');
  assert.match(await text(), /Members-only report/);
});

// Another device of the same user (its own cookie jar), then both on
// /sessions, and the other one ended from here.
let otherDevice;
step('sessions-lists-two', async () => {
  otherDevice = await request.newContext({ baseURL: APP, userAgent: 'Second device (walk)', maxRedirects: 0 });
  const r = await otherDevice.post('/login', { form: { username: 'alice', password: 'wonderland' }, headers: { Origin: APP } });
  assert.equal(r.status(), 302);
  assert.equal((await otherDevice.get('/protected')).status(), 200, 'the other device is logged in');
  await page.goto(`${APP}/sessions`);
  const rows = page.locator('tbody tr');
  assert.equal(await rows.count(), 2, 'two sessions listed');
  assert.match(await text(), /\(this device\)/);
  assert.match(await text(), /Second device \(walk\)/);
  await shootWidths('sessions');
});

step('sessions-end-the-other', async () => {
  const row = page.locator('tbody tr', { hasText: 'Second device (walk)' });
  await submit(row.getByRole('button', { name: 'End this session' }));
  assert.equal(new URL(page.url()).pathname, '/sessions');
  assert.match(await text(), /1 session ended\./);
  assert.equal(await page.locator('tbody tr').count(), 1, 'only this device is left');
  assert.equal((await otherDevice.get('/protected')).status(), 401, 'the other device is a guest now');
  await otherDevice.dispose();
  await assertLoggedInAs('alice');
});
