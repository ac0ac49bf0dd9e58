// SPDX-License-Identifier: Apache-2.0
// make test-cluster: mod_sessiondemo over 3 memcached nodes and 2 httpd
// front-ends on loopback, TAP on stdout, figures as "# FIGURE" comments.
// Started by tests/cluster/run.sh; every process comes from
// tests/lib/env.mjs, in the run directory the entry script clears.
//
// Phases:
//   1 placement   the module's real placement equals src/store/ring.c's (helper
//                 tests/cluster/ringmap), moved share 3 -> 4 over 100 k keys,
//                 and 3 -> 4 checked on real sessions through a 4-node httpd
//   2 no flip-flop (replicas 0): a frozen, then killed node gives 503 for its
//                 sessions, nothing is written elsewhere, others keep working
//   3 replicas 1  load test with one node killed and restarted; logout and
//                 regenerate leave tombstones; a session logged out while a
//                 node was frozen stays out; every node paused in turn under
//                 traffic loses nothing; memcached never sees flush_all
//   4 front-ends  log in on A, continue on B; rolling restart under traffic
//   5 disagreeing front-ends (replicas 1, 2 nodes, a proxy per front-end
//                 and node): a logout while one front-end sees a node down
//                 holds on both; disjoint writes are a counted divergence
//   6 twemproxy   the module pointed at nutcracker in front of the 3 nodes;
//                 every key of a session on one node, and a proxy front-end
//                 next to a ring front-end: a node killed, restarted, and
//                 concurrent cart adds split across both; the node that
//                 twemproxy passes "version" on to frozen: only its sessions
//                 fail, the proxy is never marked down
//
// Environment: SD_RINGMAP (helper binary), CLUSTER_SESSIONS (phase 1
// sessions, default 1500), CLUSTER_LOAD_SECONDS (phase 3, default 12),
// CLUSTER_CLIENTS (default 24).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Env, Memcached, TcpProxy, appRequest, canConnect, freePort, mcTalk, sleep, waitFor } from '../lib/env.mjs';

const env = new Env('cluster');
const DIR = env.dir;
const RINGMAP = process.env.SD_RINGMAP;
const NSESS = +(process.env.CLUSTER_SESSIONS || 1500);
const LOAD_SECONDS = +(process.env.CLUSTER_LOAD_SECONDS || 12);
const NCLIENTS = +(process.env.CLUSTER_CLIENTS || 24);
const T0 = Date.now();

let passed = 0, failed = 0;
const figures = [];
const elapsed = () => ((Date.now() - T0) / 1000).toFixed(1);
function check(ok, what) {
  if (ok) ++passed; else ++failed;
  console.log(`${ok ? 'ok' : 'not ok'} ${passed + failed} - ${what}`);
  return ok;
}
function note(s) { console.log(`# ${s}`); }
function figure(s) { figures.push(s); console.log(`# FIGURE ${s}`); }
const pct = (a, b) => (b ? (100 * a / b).toFixed(1) : '0.0') + '%';

// ------------------------------------------------------------ memcached
process.on('exit', () => env.killAll());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { env.killAll(); process.exit(130); });

const mc = [];   // { name, port, addr }
const MC_ARGS = ['-m', '32', '-t', '1', '-c', '512'];
async function startMemcached(node) { await env.memcached(node.name, MC_ARGS); }
function signalNode(node, sig) { env.signal(`memcached-${node.name}`, sig); }
function killNode(node) { return env.mcStop(node.name); }
function holds(node, keys) { return new Memcached(node.port).holds(keys); }
function flushNode(node) { return new Memcached(node.port).flush(); }
// An empty node without a flush_all, so that the count of flush_all the
// module sent stays at 0 (memcached's cmd_flush counts them since start).
async function freshNode(node) { await killNode(node); await startMemcached(node); }
async function flushesSeen(list) {
  return (await Promise.all(list.map((n) => new Memcached(n.port).stats()))).reduce((a, st) => a + st.cmd_flush, 0);
}
// SessionDemoStoreFormat Sealed, the default (docs/interop.md, "The sealed
// format"): what a session ID is called in memcached keys, and a sealed
// record opened (null when it does not open), with node's own crypto.
let sealKeys;
function derived() {
  const d = (info) => Buffer.from(crypto.hkdfSync('sha256', env.secret, Buffer.alloc(0), info, 32));
  return (sealKeys ??= { name: d('sessiondemo store key v1'), seal: d('sessiondemo store seal v1') });
}
const sealedName = (id) => crypto.createHmac('sha256', derived().name).update(id).digest('base64url');
function openSealed(key, value) {
  const m = /^(SD1\.\d+\.[01]\.\d+\.\d+\.)([A-Za-z0-9_-]+)$/.exec(value.toString());
  const raw = m ? Buffer.from(m[2], 'base64url') : Buffer.alloc(0);
  if (raw.length < 28) return null;
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', derived().seal, raw.subarray(0, 12));
    d.setAAD(Buffer.concat([Buffer.from(key), Buffer.from([0]), Buffer.from(m[1])]));
    d.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString();
  } catch { return null; }
}

// What each node holds for each key: null (nothing), 'tombstone' (the
// module's logged-out record, which Express reads as a fresh, logged-out
// session) or 'live'.
async function copiesOf(list, keys) {
  const out = keys.map(() => []);
  for (const n of list) {
    const m = new Memcached(n.port);
    for (const [i, k] of keys.entries()) {
      const it = await m.mg(k);
      if (!it) { out[i].push(null); continue; }
      let j = {};
      try { j = JSON.parse(openSealed(k, it.value) ?? it.value.toString()); } catch { /* counted as live */ }
      out[i].push(j.sessiondemo && j.sessiondemo.ended === true && !j.isLoggedIn ? 'tombstone' : 'live');
    }
  }
  return out;
}

// ------------------------------------------------------------ ring helper
function ringPlace(servers, keys) {
  const out = execFileSync(RINGMAP, ['place', ...servers], { input: keys.join('\n') + '\n' }).toString();
  const m = new Map();
  for (const line of out.trim().split('\n')) {
    const [k, ...idx] = line.split(' ');
    m.set(k, idx.map(Number));
  }
  return m;
}
function ringMoved(n, from, to) {
  const [keys, moved, toNew] = execFileSync(RINGMAP, ['moved', String(n), from.join(' '), to.join(' ')])
    .toString().trim().split(' ').map(Number);
  return { keys, moved, toNew };
}

// ------------------------------------------------------------ httpd
const fronts = {};   // name -> { name, port, conf }
// A configuration of the front-ends: the memcached servers and an overlay on
// conf/httpd-run.conf; every front-end started with it differs only by port.
function writeConf(file, servers, replicas, extra = '') {
  fs.writeFileSync(file, `# written by tests/cluster/cluster.mjs
StartServers 2
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 16
MaxSpareThreads 32
GracefulShutdownTimeout 10
SessionDemoReplicas ${replicas}
# A and B listen on two ports of one host: without a realm of their own
# each would be a realm (ServerName:port) and not serve the other's logins
SessionDemoRealm cluster
# the load test adds more than the default 100 items to a cart
SessionDemoMaxCartItems 5000
${extra}
`);
  return { overlay: file, servers };
}
async function startFront(f, conf) {
  f.conf = conf;
  await env.httpd(f.name, { overlay: conf.overlay, memcached: conf.servers, port: f.port, waitMs: 20000 });
}
// SIGWINCH = graceful-stop (requests in progress finish); SIGTERM = stop.
function stopFront(f, sig = 'SIGTERM') { return env.httpdStop(f.name, sig, 15000); }
function errorLog(f) { return env.errorLog(f.name); }
function logSize(f) { return errorLog(f).length; }
function countLog(f, re, from = 0) { return errorLog(f).slice(from).split('\n').filter((l) => re.test(l)).length; }
// Both children of every running front-end have logged re since the marks.
async function waitLogAll(list, re, marks, ms = 8000) {
  return waitFor(() => list.every((f, i) => countLog(f, re, marks[i]) >= 2), ms, 100);
}

// ------------------------------------------------------------ HTTP client
const req = (f, method, pathname, opts) => appRequest(f.port, method, pathname, opts);
const sidOf = (cookie) => { const v = decodeURIComponent(cookie); return v.slice(2, v.lastIndexOf('.')); };
const keyOf = (cookie) => `sess:${sealedName(sidOf(cookie))}`;

class Client {
  constructor(name) { this.name = name; this.cookie = null; this.items = []; this.uncertain = new Set(); this.n = 0; }
  take(r) { if (r.setCookie !== undefined) this.cookie = r.setCookie || null; return r; }
  async login(f) {
    const r = this.take(await req(f, 'POST', '/login', { cookie: this.cookie, form: { username: this.name, password: 'pw' } }));
    return r.status === 302 && !!this.cookie;
  }
  async get(f, p) { return this.take(await req(f, 'GET', p, { cookie: this.cookie })); }
  async post(f, p, form) { return this.take(await req(f, 'POST', p, { cookie: this.cookie, form })); }
  get key() { return keyOf(this.cookie); }
}
async function pool(items, n, fn) {
  let i = 0;
  const worker = async () => { while (i < items.length) { const k = i++; await fn(items[k], k); } };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
async function cart(c, f) {
  const r = await c.get(f, '/cart');
  if (r.status !== 200) return null;
  try { return JSON.parse(r.body).items; } catch { return null; }
}
// The cart holds exactly the acknowledged items, in order; items whose
// request got no answer (connection reset, timeout) may be there or not.
function cartMatches(actual, c) {
  if (!actual) return false;
  const kept = actual.filter((x) => !c.uncertain.has(x));
  return kept.length === c.items.length && kept.every((x, i) => x === c.items[i]);
}

// ================================================================= setup
async function main() {
  for (const i of [0, 1, 2, 3]) {
    const port = await env.reserve(`mc${i}`);
    mc.push({ name: `mc${i}`, port, addr: `127.0.0.1:${port}` });
  }
  for (const name of ['A', 'B']) fronts[name] = { name, port: await freePort() };
  const [A, B] = [fronts.A, fronts.B];
  const nodes = mc.slice(0, 3);
  const three = nodes.map((n) => n.addr);
  const confR0 = writeConf(env.file('cluster-r0.conf'), three, 0);
  const confR1 = writeConf(env.file('cluster-r1.conf'), three, 1);
  const conf4 = writeConf(env.file('cluster-4nodes.conf'), [...three, mc[3].addr], 0);
  for (const n of nodes) await startMemcached(n);
  await startFront(A, confR0);
  await startFront(B, confR0);
  note(`memcached ${three.join(' ')}; front-ends A :${A.port}, B :${B.port}; scratch ${DIR}`);
  // A front-end serves only its own realm's sessions (SessionDemoRealm): two
  // realms here would make every session that crosses from A to B a guest.
  const realmOf = (f) => [...errorLog(f).matchAll(/SD00009: .* serves realm '([^']*)'/g)].map((m) => m[1]).pop();
  check(realmOf(A) !== undefined && realmOf(A) === realmOf(B), `A and B serve one realm (SD00009: '${realmOf(A)}', '${realmOf(B)}')`);

  // ============================================ phase 1: placement, moved share
  note(`phase 1: placement (replicas 0), ${NSESS} sessions through httpd [${elapsed()} s]`);
  const sessions = Array.from({ length: NSESS }, (_, i) => new Client(`user${i}`));
  let loginFail = 0;
  await pool(sessions, 8, async (c, i) => { if (!await c.login(i % 2 ? B : A).catch(() => false)) ++loginFail; });
  check(loginFail === 0, `${NSESS} logins through A and B (${loginFail} failed)`);
  const live = sessions.filter((c) => c.cookie);
  const keys = live.map((c) => c.key);
  const held = await Promise.all(nodes.map((n) => holds(n, keys)));
  const place3 = ringPlace(three, keys);
  let onOne = 0, matches = 0;
  const nodeOf = new Map();
  keys.forEach((k, i) => {
    const where = [0, 1, 2].filter((s) => held[s][i]);
    if (where.length === 1) ++onOne;
    if (where.length === 1 && where[0] === place3.get(k)[0]) ++matches;
    nodeOf.set(k, where.length === 1 ? where[0] : -1);
  });
  const perNode = [0, 1, 2].map((s) => keys.filter((k) => nodeOf.get(k) === s).length);
  check(onOne === keys.length, `every session is on exactly one node (${onOne}/${keys.length}); per node ${perNode.join('/')}`);
  check(matches === keys.length, `httpd put every session where src/store/ring.c places it (${matches}/${keys.length})`);
  figure(`real placement = ring.c placement: ${matches}/${keys.length} sessions; spread ${perNode.join('/')}`);

  const four = [...three, mc[3].addr];
  const mv = ringMoved(100000, three, four);
  figure(`moved share 3 -> 4 nodes: ${mv.moved} of ${mv.keys} keys = ${pct(mv.moved, mv.keys)} (ideal 25.0%), ${mv.toNew} of them to the new node`);
  check(mv.moved > mv.keys * 0.18 && mv.moved < mv.keys * 0.32, `3 -> 4 moves about 1/4 of 100 k keys (${pct(mv.moved, mv.keys)})`);
  check(mv.moved === mv.toNew, 'every moved key went to the new node (none between old nodes)');
  const rm = ringMoved(100000, three, three.slice(0, 2));
  figure(`moved share 3 -> 2 nodes (remove one): ${pct(rm.moved, rm.keys)} of 100 k keys (ideal 33.3%, exactly the removed node's keys)`);

  // The same on the real code path: B with a 4th (empty) node sees exactly
  // the sessions the helper says did not move.
  await startMemcached(mc[3]);
  await stopFront(B);
  await startFront(B, conf4);
  const place4 = ringPlace(four, keys);
  let predicted = 0, agree = 0;
  await pool(live, 8, async (c) => {
    const stays = four[place4.get(c.key)[0]] === three[place3.get(c.key)[0]];
    if (!stays) ++predicted;
    const r = await req(B, 'GET', '/protected', { cookie: c.cookie }).catch(() => ({ status: 0 }));
    if ((stays && r.status === 200) || (!stays && r.status === 401)) ++agree;
  });
  figure(`moved share 3 -> 4 on ${live.length} real sessions through a 4-node httpd: ${pct(predicted, live.length)}`);
  check(agree === live.length, `4-node httpd: exactly the unmoved sessions are still logged in (${agree}/${live.length} as predicted)`);
  await stopFront(B);
  await killNode(mc[3]);
  await startFront(B, confR0);

  // ============================================ phase 2: no flip-flop (replicas 0)
  note(`phase 2: no flip-flop, replicas 0 [${elapsed()} s]`);
  const V = 1, victim = nodes[V];
  const onV = live.filter((c) => nodeOf.get(c.key) === V).slice(0, 60);
  const offV = live.filter((c) => nodeOf.get(c.key) !== V && nodeOf.get(c.key) >= 0).slice(0, 60);
  // The lock key ({<key>}.<realm tag>.lock) is placed by its hash tag, the data
  // key (docs/cluster.md), so a lock on V means the data's ring node is V.
  const lockOnV = (c) => ringPlace(three, [c.key]).get(c.key)[0] === V;
  let okBefore = 0;
  await pool([...onV, ...offV], 6, async (c) => {
    if ((await c.post(A, '/add-to-cart', { item: 'before' })).status === 200) ++okBefore;
  });
  check(okBefore === onV.length + offV.length, `setup: one cart item in ${onV.length} sessions on ${victim.name} and ${offV.length} elsewhere`);

  const outage = async (how) => {
    const marks = [A, B].map(logSize);
    if (how === 'freeze') signalNode(victim, 'SIGSTOP'); else await killNode(victim);
    const seen = await waitLogAll([A, B], new RegExp(`SD00203: memcached ${victim.addr} `), marks);
    check(seen, `${how}: every child of A and B noticed ${victim.name} down (SD00203)`);
    const st = { v503: 0, vOther: [], vCookie: 0, o200: 0, oOther: [], oLockOnV: 0 };
    let t503 = 0;
    await pool(onV, 6, async (c, i) => {
      const f = i % 2 ? B : A;
      const t = Date.now();
      const r1 = await req(f, 'POST', '/add-to-cart', { cookie: c.cookie, form: { item: `during-${how}` } }).catch(() => ({ status: 0 }));
      const r2 = await req(f, 'GET', '/protected', { cookie: c.cookie }).catch(() => ({ status: 0 }));
      t503 = Math.max(t503, Date.now() - t);
      if (r1.status === 503 && r2.status === 503) ++st.v503; else st.vOther.push(`${r1.status}/${r2.status}`);
      if (r1.setCookie !== undefined || r2.setCookie !== undefined) ++st.vCookie;
    });
    await pool(offV, 6, async (c, i) => {
      const r = await req(i % 2 ? B : A, 'GET', '/protected', { cookie: c.cookie }).catch(() => ({ status: 0 }));
      if (r.status === 200) ++st.o200;
      else { st.oOther.push(r.status); if (lockOnV(c)) ++st.oLockOnV; }
    });
    check(st.v503 === onV.length, `${how}: sessions on ${victim.name} get 503 for add-to-cart and /protected (${st.v503}/${onV.length}; others: ${st.vOther.slice(0, 5).join(',')}), slowest pair ${t503} ms`);
    check(st.vCookie === 0, `${how}: no new session cookie handed out for them (${st.vCookie})`);
    check(st.o200 === offV.length, `${how}: sessions on the other nodes keep working (${st.o200}/${offV.length}; ` +
      `${st.oOther.length} failed: ${[...new Set(st.oOther)].join(',') || '-'}, ${st.oLockOnV} of them have their lock key on ${victim.name})`);
    const others = nodes.filter((_, s) => s !== V);
    const leaked = (await Promise.all(others.map((n) => holds(n, onV.map((c) => c.key))))).flat().filter(Boolean).length;
    check(leaked === 0, `${how}: no session of ${victim.name} was written to another node (${leaked} copies found)`);
    figure(`replicas 0, ${how}: ${st.v503}/${onV.length} sessions of the down node 503, ${st.o200}/${offV.length} others served, ${leaked} written elsewhere`);
  };
  await outage('freeze');
  {
    const marks = [A, B].map(logSize);
    signalNode(victim, 'SIGCONT');
    check(await waitLogAll([A, B], new RegExp(`SD00204: memcached ${victim.addr} `), marks), `thaw: every child noticed ${victim.name} back (SD00204)`);
    let intact = 0;
    await pool(onV, 6, async (c) => {
      const r = await req(A, 'GET', '/protected', { cookie: c.cookie }).catch(() => ({ status: 0 }));
      const items = await cart(c, B);
      if (r.status === 200 && items && items.length === 1 && items[0] === 'before') ++intact;
    });
    check(intact === onV.length, `thaw: sessions of ${victim.name} are back intact, the refused adds absent (${intact}/${onV.length})`);
    check(countLog(A, /SD00208/) + countLog(B, /SD00208/) === 0, 'replicas 0: no flush on return (SD00208 not logged)');
  }
  await outage('kill');
  {
    const marks = [A, B].map(logSize);
    await startMemcached(victim);
    check(await waitLogAll([A, B], new RegExp(`SD00204: memcached ${victim.addr} `), marks), `restart: every child noticed ${victim.name} back`);
    let gone = 0, othersOk = 0;
    await pool(onV, 6, async (c) => {
      const r = await req(A, 'GET', '/protected', { cookie: c.cookie }).catch(() => ({ status: 0 }));
      if (r.status === 401) ++gone;
    });
    await pool(offV, 6, async (c) => {
      const items = await cart(c, B);
      if (items && items.length === 1 && items[0] === 'before') ++othersOk;
    });
    check(gone === onV.length, `restart (empty): sessions of ${victim.name} are gone, not stale (${gone}/${onV.length} get 401: memcached is a cache)`);
    check(othersOk === offV.length, `restart: sessions on the other nodes unchanged (${othersOk}/${offV.length})`);
  }

  // ============================================ phase 3: replicas 1 under load
  note(`phase 3: replicas 1, ${NCLIENTS} clients for ${LOAD_SECONDS} s, one node killed and restarted [${elapsed()} s]`);
  await Promise.all([stopFront(A), stopFront(B)]);
  for (const n of nodes) await freshNode(n);
  await startFront(A, confR1);
  await startFront(B, confR1);
  const clients = Array.from({ length: NCLIENTS }, (_, i) => new Client(`load${i}`));
  let lok = 0;
  await pool(clients, 6, async (c, i) => { if (await c.login(i % 2 ? B : A).catch(() => false)) ++lok; });
  check(lok === NCLIENTS, `${NCLIENTS} clients logged in`);
  {
    const ks = clients.map((c) => c.key);
    const h = await Promise.all(nodes.map((n) => holds(n, ks)));
    const p = ringPlace(three, ks);
    const good = ks.filter((k, i) => {
      const where = [0, 1, 2].filter((s) => h[s][i]);
      const want = p.get(k).slice(0, 2).sort();
      return where.length === 2 && where[0] === want[0] && where[1] === want[1];
    }).length;
    check(good === ks.length, `each session is on exactly its 2 ring nodes (primary + next distinct) (${good}/${ks.length})`);
  }
  const K = 0, killed = nodes[K];
  const stats = { req: 0, ok: 0, s503: 0, other: 0, noAnswer: 0, maxMs: 0 };
  const statsDuring = { req: 0, s503: 0 };
  const ackedAt = new Map();
  let phase = 'before', restartedAt = 0;
  const stopAt = Date.now() + LOAD_SECONDS * 1000;
  const worker = async (c) => {
    while (Date.now() < stopAt) {
      const f = Math.random() < 0.5 ? A : B;
      const add = Math.random() < 0.4;
      const item = `${c.name}-${c.n++}`;
      const t = Date.now();
      let r;
      try {
        r = add ? await c.post(f, '/add-to-cart', { item }) : await c.get(f, '/');
      } catch {
        ++stats.noAnswer;
        if (add) c.uncertain.add(item);
        continue;
      }
      const ms = Date.now() - t;
      stats.maxMs = Math.max(stats.maxMs, ms);
      ++stats.req;
      if (phase === 'down') ++statsDuring.req;
      if (r.status === 200 && (add || r.body.includes(c.name))) {
        ++stats.ok;
        if (add) { c.items.push(item); ackedAt.set(item, `${elapsed()} s via ${f.name}`); }
      }
      else if (r.status === 503) { ++stats.s503; if (phase === 'down') ++statsDuring.s503; }
      else ++stats.other;
      await sleep(20 + Math.random() * 30);
    }
  };
  const orchestrate = (async () => {
    await sleep(LOAD_SECONDS * 1000 / 3);
    const marks = [A, B].map(logSize);
    phase = 'down';
    await killNode(killed);
    note(`${killed.name} killed at ${elapsed()} s`);
    await sleep(LOAD_SECONDS * 1000 / 3);
    phase = 'back';
    await startMemcached(killed);
    note(`${killed.name} restarted (empty) at ${elapsed()} s`);
    restartedAt = Date.now();
    return marks;
  })();
  await Promise.all(clients.map(worker));
  const killMarks = await orchestrate;
  let stillIn = 0, exact = 0;
  const wrong = [];
  await pool(clients, 6, async (c) => {
    const r = await req(A, 'GET', '/protected', { cookie: c.cookie }).catch(() => ({ status: 0 }));
    if (r.status === 200) ++stillIn;
    const items = await cart(c, B);
    if (cartMatches(items, c)) ++exact;
    else {
      const missing = c.items.filter((x) => !(items || []).includes(x));
      wrong.push(`${c.name}: want ${c.items.length} got ${items ? items.length : 'none'}, missing ${missing.slice(0, 3).map((x) => `${x} (acked ${ackedAt.get(x)})`).join(', ')}`);
    }
  });
  const acked = clients.reduce((a, c) => a + c.items.length, 0);
  figure(`replicas 1 load: ${stats.req} requests (${stats.ok} ok), ${stats.s503} x 503 (${statsDuring.s503} of ${statsDuring.req} while the node was down), ${stats.other} other errors, ${stats.noAnswer} without answer, slowest ${stats.maxMs} ms; ${acked} items acknowledged`);
  figure(`replicas 1 load: sessions lost ${NCLIENTS - stillIn} of ${NCLIENTS}, carts wrong ${NCLIENTS - exact} of ${NCLIENTS}`);
  check(stillIn === NCLIENTS, `replicas 1: every client still logged in after the kill and the return (${stillIn}/${NCLIENTS})`);
  check(exact === NCLIENTS, `replicas 1: every cart holds exactly its acknowledged items (${exact}/${NCLIENTS}${wrong.length ? '; ' + wrong.slice(0, 3).join('; ') : ''})`);
  if (!check(stats.s503 === 0 && stats.other === 0 && stats.noAnswer === 0, `replicas 1: no 503 and no error during the load (${stats.s503} x 503, ${stats.other} other, ${stats.noAnswer} unanswered)`)) {
    for (const f of [A, B]) {
      const lines = errorLog(f).slice(killMarks[f === A ? 0 : 1]).split('\n');
      lines.forEach((l, i) => { if (/SD00412|SD0041[0-9].*503/.test(l)) note(`${f.name}: ${lines.slice(Math.max(0, i - 3), i + 1).join(' | ').slice(0, 900)}`); });
    }
  }
  check(await waitLogAll([A, B], new RegExp(`SD00204: memcached ${killed.addr} `), killMarks),
    `${killed.name}'s return noticed by every child of A and B (SD00204)`);

  // Logout and regenerate remove every copy.
  {
    const out = clients.slice(0, 6), regen = clients.slice(6, 12);
    const outKeys = out.map((c) => c.key), oldKeys = regen.map((c) => c.key);
    let okOut = 0, okRegen = 0;
    for (const c of out) if ((await c.post(A, '/logout', {})).status === 302 && !c.cookie) ++okOut;
    for (const c of regen) if (await c.login(B)) ++okRegen;
    check(okOut === out.length && okRegen === regen.length, `logout (${okOut}) and re-login/regenerate (${okRegen}) answered`);
    // With replicas a logout is a tombstone with the session's remaining
    // lifetime, not a delete: a replica that missed it cannot undo it.
    const left = (await copiesOf(nodes, [...outKeys, ...oldKeys])).flat().filter(Boolean);
    const live = left.filter((x) => x === 'live').length;
    check(live === 0 && left.length === 2 * (outKeys.length + oldKeys.length),
      `logout and regenerate left a tombstone on both replicas and no live copy (${left.length - live} tombstones, ${live} live)`);
    // A tombstone outlives any live copy a front-end that missed the logout
    // could still write: SessionDemoMaxAge (default 86400 s) plus a day.
    const ttls = [];
    for (const n of nodes) for (const k of outKeys) { const it = await new Memcached(n.port).mg(k); if (it) ttls.push(it.ttl); }
    const shortest = Math.min(...ttls);
    check(ttls.length === 2 * outKeys.length && shortest >= 2 * 86400 - 60,
      `every tombstone lives at least SessionDemoMaxAge + 1 day (shortest TTL ${shortest} s of ${ttls.length})`);
    const newCopies = (await Promise.all(nodes.map((n) => holds(n, regen.map((c) => c.key))))).flat().filter(Boolean).length;
    check(newCopies === 2 * regen.length, `regenerated sessions stored twice (${newCopies}/${2 * regen.length} copies)`);
    for (const c of regen) { c.items = []; c.uncertain.clear(); }
  }

  // Frozen replica: a logout while it is away must not come back.
  {
    const F = 2, frozen = nodes[F];
    const rest = clients.slice(6);
    const pl = ringPlace(three, rest.map((c) => c.key));
    const withF = rest.filter((c) => pl.get(c.key).slice(0, 2).includes(F));
    const leaving = withF.filter((_, i) => i % 2 === 0), staying = withF.filter((_, i) => i % 2 === 1);
    const marks = [A, B].map(logSize);
    signalNode(frozen, 'SIGSTOP');
    check(await waitLogAll([A, B], new RegExp(`SD00203: memcached ${frozen.addr} `), marks), `${frozen.name} frozen and noticed`);
    let lo = 0, ad = 0;
    const leavingKeys = leaving.map((c) => c.key), leavingCookies = leaving.map((c) => c.cookie);
    for (const c of leaving) if ((await c.post(A, '/logout', {})).status === 302) ++lo;
    for (const c of staying) {
      if ((await c.post(B, '/add-to-cart', { item: 'while-frozen' })).status === 200) { ++ad; c.items.push('while-frozen'); }
    }
    check(lo === leaving.length && ad === staying.length,
      `while ${frozen.name} is frozen: ${lo}/${leaving.length} logouts and ${ad}/${staying.length} cart adds served by the other replica`);
    const marks2 = [A, B].map(logSize);
    signalNode(frozen, 'SIGCONT');
    check(await waitLogAll([A, B], new RegExp(`SD00204: memcached ${frozen.addr} `), marks2),
      `${frozen.name}'s return noticed by every child (SD00204), and it was not flushed`);
    let back = 0, fresh = 0;
    for (const ck of leavingCookies) {
      for (const f of [A, B]) {
        const r = await req(f, 'GET', '/protected', { cookie: ck }).catch(() => ({ status: 0 }));
        if (r.status !== 401) ++back;
      }
    }
    for (const c of staying) if (cartMatches(await cart(c, A), c)) ++fresh;
    // The missed tombstones were replayed to it on its return.
    const onF = (await copiesOf([frozen], leavingKeys)).flat();
    const liveOnF = onF.filter((x) => x === 'live').length;
    check(back === 0 && liveOnF === 0,
      `sessions logged out while ${frozen.name} was frozen stay logged out on A and on B (${back} came back; on it ${onF.filter((x) => x === 'tombstone').length} tombstones, ${liveOnF} live)`);
    check(fresh === staying.length, `carts changed while ${frozen.name} was frozen are current, no stale copy (${fresh}/${staying.length})`);
    figure(`replicas 1 freeze/thaw: ${leaving.length} logged out while away, ${back} resurfaced; ${staying.length} carts changed, ${staying.length - fresh} stale`);
  }

  // Every node paused in turn (2.5 s, then 2 s apart), sessions in use all
  // along: none lost, no acknowledged cart item lost, no flush_all.
  {
    const ps = Array.from({ length: 20 }, (_, i) => new Client(`pause${i}`));
    let pl = 0;
    for (const [i, c] of ps.entries()) if (await c.login(i % 2 ? B : A)) ++pl;
    check(pl === ps.length, `${ps.length} clients logged in for the sequential pauses`);
    const tally = { ok: 0, s503: 0, other: 0, noAnswer: 0, maxMs: 0 };
    let stop = false;
    const pworker = async (c) => {
      while (!stop) {
        const f = c.n % 2 ? B : A;
        const item = `${c.name}-${c.n++}`;
        const t = Date.now();
        let r;
        try { r = await c.post(f, '/add-to-cart', { item }); } catch { ++tally.noAnswer; c.uncertain.add(item); continue; }
        tally.maxMs = Math.max(tally.maxMs, Date.now() - t);
        if (r.status === 200) { ++tally.ok; c.items.push(item); }
        else if (r.status === 503) ++tally.s503;
        else ++tally.other;
        await sleep(50 + Math.random() * 50);
      }
    };
    const running = Promise.all(ps.map(pworker));
    for (const n of nodes) {
      signalNode(n, 'SIGSTOP');
      await sleep(2500);
      signalNode(n, 'SIGCONT');
      note(`${n.name} paused 2.5 s at ${elapsed()} s`);
      await sleep(2000);
    }
    stop = true;
    await running;
    let inA = 0, inB = 0, exact = 0;
    for (const c of ps) {
      if ((await req(A, 'GET', '/protected', { cookie: c.cookie })).status === 200) ++inA;
      if ((await req(B, 'GET', '/protected', { cookie: c.cookie })).status === 200) ++inB;
      if (cartMatches(await cart(c, A), c) && cartMatches(await cart(c, B), c)) ++exact;
    }
    const flushes = await flushesSeen(nodes);
    figure(`replicas 1, each of 3 nodes paused 2.5 s in turn under cart traffic: sessions kept ${Math.min(inA, inB)}/${ps.length}, carts exact ${exact}/${ps.length}; ${tally.ok} adds acknowledged, ${tally.s503} x 503, ${tally.other} other, ${tally.noAnswer} unanswered, slowest ${tally.maxMs} ms; flush_all seen by memcached ${flushes}`);
    check(inA === ps.length && inB === ps.length, `sequential pauses: every session still logged in on A (${inA}) and on B (${inB}) of ${ps.length}`);
    check(exact === ps.length, `sequential pauses: every cart holds exactly its acknowledged items, on A and on B (${exact}/${ps.length})`);
    check(tally.other === 0 && tally.noAnswer === 0, `sequential pauses: every add answered 200 or 503 (${tally.other} other, ${tally.noAnswer} unanswered)`);
    check(flushes === 0, `no flush_all ever reached memcached in the replicas phase (cmd_flush ${flushes})`);
  }

  // ============================================ phase 4: two front-ends
  note(`phase 4: two front-ends, rolling restart [${elapsed()} s]`);
  {
    const c = new Client('roamer');
    const ok1 = await c.login(A);
    const home = await c.get(B, '/');
    const a1 = (await c.post(A, '/add-to-cart', { item: 'from-A' })).status;
    const b1 = (await c.post(B, '/add-to-cart', { item: 'from-B' })).status;
    const items = await cart(c, A);
    check(ok1 && home.status === 200 && home.body.includes('roamer') && a1 === 200 && b1 === 200
      && JSON.stringify(items) === '["from-A","from-B"]',
    `log in on A, continue on B with the same cookie, cart filled on both (${JSON.stringify(items)})`);
  }
  // Every session of a user: logout-others from a second cookie jar, on
  // the other front-end, ends the first jar's session on both replicas.
  const indexKeys = async () => {
    const sets = await Promise.all(nodes.map(async (nd) => {
      const dump = (await mcTalk(nd.port, 'lru_crawler metadump all\r\n', /(^|\n)END\r\n/)).toString();
      // Keys are keyed hashes: a user's index is told by what it holds.
      const keys = [...dump.matchAll(/key=(\S+)/g)].map((m) => decodeURIComponent(m[1]))
        .filter((k) => k.startsWith('sess:') && !k.endsWith('.lock'));
      const m = new Memcached(nd.port), found = [];
      for (const k of keys) {
        const it = await m.mg(k).catch(() => null);
        let j = {};
        try { j = JSON.parse(it ? openSealed(k, it.value) : 'null') ?? {}; } catch { /* not an index */ }
        if (typeof j.user === 'string' && j.user !== '' && Array.isArray(j.sessions)) found.push(k);
      }
      return found;
    }));
    return new Set(sets.flat());
  };
  {
    // The session list needs real passwords (it is off in demo mode): both
    // front-ends restarted with an htpasswd provider for this block, then
    // back to demo mode for the rest.
    const htpasswd = env.file('cluster.htpasswd');
    execFileSync('htpasswd', ['-cbB', '-C', '4', htpasswd, 'twojars', 'pw'], { stdio: 'ignore' });
    fs.chmodSync(htpasswd, 0o644);
    const confAuth = writeConf(env.file('cluster-r1-auth.conf'), three, 1, `LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
SessionDemoAuthProvider file
<Location "/login">
    AuthUserFile "${htpasswd}"
</Location>`);
    const demoConf = A.conf;
    await Promise.all([stopFront(A), stopFront(B)]);
    await startFront(A, confAuth);
    await startFront(B, confAuth);
    const indexBefore = await indexKeys();
    const first = new Client('twojars'), second = new Client('twojars');
    const ok = (await first.login(A)) && (await second.login(B));
    const listed = await second.get(A, '/sessions.json');
    let n = -1;
    try { n = JSON.parse(listed.body).sessions.length; } catch { /* n stays -1 */ }
    check(ok && listed.status === 200 && n === 2, `one user, two cookie jars on A and B: /sessions.json on A lists both (${n})`);
    const firstKey = first.key;
    const out = await second.post(B, '/sessions/logout-others', {});
    check(out.status === 302 && out.headers.location === '/sessions?ended=1', `logout-others from the second jar, on B: ${out.status} ${out.headers.location}`);
    const onA = await req(A, 'GET', '/protected', { cookie: first.cookie });
    const onB = await req(B, 'GET', '/protected', { cookie: first.cookie });
    check(onA.status === 401 && onB.status === 401, `the first jar is a guest on both front-ends (A ${onA.status}, B ${onB.status})`);
    const copies = (await copiesOf(nodes, [firstKey])).flat().filter(Boolean);
    check(copies.length === 2 && copies.every((x) => x === 'tombstone'), `its session is a tombstone on both replicas (${copies.join(', ')})`);
    const still = await req(A, 'GET', '/protected', { cookie: second.cookie });
    check(still.status === 200, `the second jar stays logged in (${still.status})`);
    // The index is replicated like a session: the new user's is on its 2
    // ring nodes.
    const after = await indexKeys();
    const fresh = [...after].filter((k) => !indexBefore.has(k));
    const where = await Promise.all(nodes.map((nd) => holds(nd, fresh)));
    const want = fresh.length === 1 ? ringPlace(three, fresh).get(fresh[0]).slice(0, 2).sort() : [];
    const on = [0, 1, 2].filter((i) => where[i][0]);
    check(fresh.length === 1 && on.length === 2 && on[0] === want[0] && on[1] === want[1],
      `the user's index is on its 2 ring nodes, like a session (${fresh.length} new index, on nodes ${on.join(', ')} of ${want.join(', ')})`);
    await Promise.all([stopFront(A), stopFront(B)]);
    await startFront(A, demoConf);
    await startFront(B, demoConf);
  }
  {
    const rclients = Array.from({ length: 12 }, (_, i) => new Client(`roll${i}`));
    let rok = 0;
    for (const [i, c] of rclients.entries()) if (await c.login(i % 2 ? B : A)) ++rok;
    check(rok === rclients.length, `${rclients.length} clients logged in for the rolling restart`);
    const rs = { req: 0, s503: 0, other: 0, refused: 0, noAnswer: 0, loggedOut: 0 };
    const down = new Set();
    let stop = false;
    // A load balancer: a random front-end that is up; a refused connection
    // (nothing sent) is retried on the other one.
    const send = async (c, fn) => {
      for (let attempt = 0; attempt < 4; ++attempt) {
        const ups = [A, B].filter((f) => !down.has(f.name));
        const f = ups.length ? ups[Math.floor(Math.random() * ups.length)] : A;
        try { return await fn(f); } catch (e) {
          if (e.code === 'ECONNREFUSED') { ++rs.refused; await sleep(20); continue; }
          throw e;
        }
      }
      throw new Error('no front-end');
    };
    const rworker = async (c) => {
      while (!stop) {
        const add = Math.random() < 0.4;
        const item = `${c.name}-${c.n++}`;
        let r;
        try {
          r = await send(c, (f) => (add ? c.post(f, '/add-to-cart', { item }) : c.get(f, '/')));
        } catch { ++rs.noAnswer; if (add) c.uncertain.add(item); continue; }
        ++rs.req;
        if (r.status === 200) { if (add) c.items.push(item); else if (!r.body.includes(c.name)) ++rs.loggedOut; }
        else if (r.status === 503) ++rs.s503;
        else ++rs.other;
        await sleep(30 + Math.random() * 30);
      }
    };
    const running = Promise.all(rclients.map(rworker));
    await sleep(1000);
    for (const f of [A, B]) {
      down.add(f.name);          // the balancer stops sending to it
      await sleep(100);
      await stopFront(f, 'SIGWINCH');
      note(`${f.name} stopped (graceful) at ${elapsed()} s`);
      await sleep(500);
      await startFront(f, f.conf);
      down.delete(f.name);
      note(`${f.name} started at ${elapsed()} s`);
      await sleep(1000);
    }
    stop = true;
    await running;
    let rin = 0, rexact = 0;
    for (const c of rclients) {
      if ((await req(A, 'GET', '/protected', { cookie: c.cookie })).status === 200) ++rin;
      if (cartMatches(await cart(c, B), c)) ++rexact;
    }
    figure(`rolling restart: ${rs.req} requests, ${rs.s503} x 503, ${rs.other} other errors, ${rs.noAnswer} without answer, ${rs.refused} refused connections retried, ${rs.loggedOut} views logged out`);
    check(rin === rclients.length && rs.loggedOut === 0, `rolling restart of A then B logged nobody out (${rin}/${rclients.length} logged in, ${rs.loggedOut} logged-out views)`);
    check(rexact === rclients.length, `rolling restart: every cart exact (${rexact}/${rclients.length})`);
    check(rs.s503 === 0 && rs.other === 0 && rs.noAnswer === 0, `rolling restart: no errors (${rs.s503} x 503, ${rs.other} other, ${rs.noAnswer} unanswered)`);
  }

  // ============================================ phase 5: front-ends that disagree
  // Two nodes, replicas 1 (every session on both). Each front-end reaches
  // each node through a proxy of its own (tests/lib/env.mjs TcpProxy), so
  // one front-end's path to a node can be cut while the other's works: the
  // two then disagree about which node is up. One child per front-end, so
  // its status page is the one that counted.
  note(`phase 5: two front-ends that disagree about which node is up [${elapsed()} s]`);
  await Promise.all([stopFront(A), stopFront(B)]);
  {
    const pair = nodes.slice(0, 2);
    for (const n of pair) await freshNode(n);
    const px = {};
    for (const f of ['A', 'B']) px[f] = await Promise.all(pair.map((n) => new TcpProxy(n.port).listen()));
    const oneChild = 'StartServers 1\nServerLimit 1\nMaxRequestWorkers 16';
    await startFront(A, writeConf(env.file('disagree-A.conf'), px.A.map((p) => p.addr), 1, oneChild));
    await startFront(B, writeConf(env.file('disagree-B.conf'), px.B.map((p) => p.addr), 1, oneChild));
    const statusOf = async (f) => {
      const r = await req(f, 'GET', '/sessiondemo-status?json').catch(() => null);
      try { return JSON.parse(r.body).counters; } catch { return {}; }
    };
    const cut = async (f, i) => {
      const mark = logSize(f);
      px[f.name][i].stall();
      return waitFor(() => countLog(f, new RegExp(`SD00203: memcached ${px[f.name][i].addr.replace(/\./g, '\\.')} `), mark) >= 1, 8000, 100);
    };
    const heal = async (f, i) => {
      const mark = logSize(f);
      px[f.name][i].pass();
      return waitFor(() => countLog(f, new RegExp(`SD00204: memcached ${px[f.name][i].addr.replace(/\./g, '\\.')} `), mark) >= 1, 8000, 100);
    };

    // A logout while A cannot see node 0 and B can.
    const us = Array.from({ length: 8 }, (_, i) => new Client(`dis${i}`));
    let ul = 0;
    for (const c of us) if (await c.login(A) && (await c.post(B, '/add-to-cart', { item: 'first' })).status === 200) { ++ul; c.items.push('first'); }
    check(ul === us.length, `${us.length} sessions logged in on A, a cart item added on B`);
    check(await cut(A, 0), `A's path to ${pair[0].name} stalled: A sees it down (SD00203), B still sees it up`);
    const leaving = us.slice(0, 4), staying = us.slice(4);
    const oldCookies = leaving.map((c) => c.cookie);
    let lo = 0, ad = 0;
    for (const c of leaving) if ((await c.post(A, '/logout', {})).status === 302) ++lo;
    for (const c of staying) if ((await c.post(A, '/add-to-cart', { item: 'while-A-blind' })).status === 200) { ++ad; c.items.push('while-A-blind'); }
    check(lo === leaving.length && ad === staying.length, `on A, which sees one node: ${lo} logouts and ${ad} cart adds answered`);
    let backB = 0, freshB = 0;
    for (const ck of oldCookies) if ((await req(B, 'GET', '/protected', { cookie: ck })).status !== 401) ++backB;
    for (const c of staying) if (cartMatches(await cart(c, B), c)) ++freshB;
    check(backB === 0, `B, which reads both nodes (one still holding the live copy), sees the logouts: the tombstone outvotes it (${backB} of ${oldCookies.length} came back)`);
    check(freshB === staying.length, `B serves the carts A changed, not the stale copies on ${pair[0].name} (${freshB}/${staying.length})`);
    check(await heal(A, 0), `A's path healed (SD00204)`);
    let backAny = 0;
    for (const ck of oldCookies) for (const f of [A, B]) if ((await req(f, 'GET', '/protected', { cookie: ck })).status !== 401) ++backAny;
    const onN0 = (await copiesOf([pair[0]], oldCookies.map(keyOf))).flat();
    check(backAny === 0 && !onN0.includes('live'),
      `after the heal the logouts hold on A and on B (${backAny} came back; ${pair[0].name} holds ${onN0.filter((x) => x === 'tombstone').length} tombstones, ${onN0.filter((x) => x === 'live').length} live copies)`);

    // Disjoint views: A sees only node 1, B only node 0, and both write one
    // session. Detected, counted and logged; one of the two changes is lost.
    const d = staying[0];
    const before = { A: (await statusOf(A)).replica_divergences || 0, B: (await statusOf(B)).replica_divergences || 0 };
    check(await cut(A, 0) && await cut(B, 1), `A sees only ${pair[1].name}, B only ${pair[0].name}`);
    const wa = (await d.post(A, '/add-to-cart', { item: 'from-A' })).status;
    const wb = (await d.post(B, '/add-to-cart', { item: 'from-B' })).status;
    check(wa === 200 && wb === 200, `each front-end acknowledged its write to its own replica (${wa}, ${wb})`);
    const marks = [A, B].map(logSize);
    check(await heal(A, 0) && await heal(B, 1), 'both paths healed');
    const seen = [];
    for (const f of [A, B]) seen.push(await cart(d, f));
    const after = { A: (await statusOf(A)).replica_divergences || 0, B: (await statusOf(B)).replica_divergences || 0 };
    const counted = after.A - before.A + after.B - before.B;
    const logged = countLog(A, /SD00213: .*two different copies/, marks[0]) + countLog(B, /SD00213: .*two different copies/, marks[1]);
    check(counted >= 1, `the divergence is counted on the status page (replica_divergences +${after.A - before.A} on A, +${after.B - before.B} on B)`);
    check(logged >= 1 && logged <= 2, `... and logged once per front-end at most (${logged} SD00213 lines)`);
    const kept = seen.map((x) => JSON.stringify(x));
    const one = seen.every((x) => x && x.length === d.items.length + 1 && x.slice(0, -1).every((v, i) => v === d.items[i])
      && ['from-A', 'from-B'].includes(x[x.length - 1]));
    check(one && kept[0] === kept[1], `both front-ends now serve the same one of the two changes; the other is lost, as docs/cluster.md says (${kept.join(' / ')})`);
    figure(`front-ends that disagree: logout on A while A saw 1 of 2 nodes -> ${backB + backAny} resurrected; disjoint writes -> divergence counted ${counted}, logged ${logged}, kept ${seen[0] ? seen[0][seen[0].length - 1] : '?'}`);
    for (const f of ['A', 'B']) for (const p of px[f]) await p.close();
  }
  check(await flushesSeen(nodes) === 0, 'no flush_all reached memcached in the disagreement phase either');

  // ============================================ phase 6: twemproxy
  note(`phase 6: twemproxy (nutcracker) in front of the 3 nodes [${elapsed()} s]`);
  await Promise.all([stopFront(A), stopFront(B)]);
  for (const n of nodes) await flushNode(n);
  const tw = { name: 'nutcracker', port: await freePort() };
  // docs/cluster.md's pool, and the same without a timeout (twemproxy's
  // default: it waits for a frozen node forever).
  const tw2 = { port: await freePort() };
  const twConf = env.file('nutcracker.yml');
  const twPool = (name, port, timeout) => `${name}:
  listen: 127.0.0.1:${port}
  hash: md5
  hash_tag: "{}"
  distribution: ketama
  auto_eject_hosts: false
${timeout}  servers:
${three.map((a) => `   - ${a}:1`).join('\n')}
`;
  fs.writeFileSync(twConf, twPool('sessiondemo', tw.port, '  timeout: 500\n') + twPool('notimeout', tw2.port, ''));
  // Its stats port too is a free one: the default 22222 would collide with another run.
  env.spawn(tw.name, 'nutcracker', ['-c', twConf, '-o', env.file('nutcracker.log'),
    '-a', '127.0.0.1', '-s', String(await freePort())]);
  check(await waitFor(() => canConnect(tw.port), 5000), `nutcracker listening on :${tw.port}`);
  // What twemproxy 0.5.0 passes on, verified rather than assumed.
  const ask = async (cmd) => (await mcTalk(tw.port, cmd, /\r\n$/, 1500).then(String, (e) => `error ${e.message}`)) || '<connection closed>';
  const probe = {
    version: await ask('version\r\n'),
    add: await ask('add twprobe 0 10 1\r\nx\r\n'),
    delete0: await ask('delete twprobe 0\r\n'),
    delete: await ask('delete twprobe\r\n'),
    flush_all: await ask('flush_all\r\n'),
    mg: await ask('mg twprobe\r\n'),
  };
  for (const [k, v] of Object.entries(probe)) note(`through nutcracker: ${k} -> ${JSON.stringify(v.trim())}`);
  check(/^VERSION/.test(probe.version), 'twemproxy answers "version" (the module\'s health probe)');
  check(/STORED/.test(probe.add), 'twemproxy passes "add" (new session IDs, session locks)');
  figure(`twemproxy 0.5.0: version ${/^VERSION/.test(probe.version) ? 'yes' : 'no'}, add ${/STORED/.test(probe.add) ? 'yes' : 'no'}, "delete <key> 0" (what apr_memcache sends) ${/DELETED|NOT_FOUND/.test(probe.delete0) ? 'yes' : 'NO (connection closed)'}, "delete <key>" ${/DELETED|NOT_FOUND/.test(probe.delete) ? 'yes' : 'no'}, flush_all ${/OK/.test(probe.flush_all) ? 'yes' : 'no'}, meta commands ${/HD|EN/.test(probe.mg) ? 'yes' : 'no'}`);

  const twConfFile = writeConf(env.file('twemproxy.conf'), [`127.0.0.1:${tw.port}`], 0);
  await startFront(A, twConfFile);
  const tclients = Array.from({ length: 40 }, (_, i) => new Client(`tw${i}`));
  let tl = 0;
  for (const c of tclients) if (await c.login(A)) ++tl;
  check(tl === tclients.length, `login through twemproxy (${tl}/${tclients.length})`);
  const tks = tclients.filter((c) => c.cookie).map((c) => c.key);
  const th = await Promise.all(nodes.map((n) => holds(n, tks)));
  const tp = ringPlace(three, tks);
  let tOne = 0, tSame = 0;
  tks.forEach((k, i) => {
    const where = [0, 1, 2].filter((s) => th[s][i]);
    if (where.length === 1) { ++tOne; if (where[0] === tp.get(k)[0]) ++tSame; }
  });
  check(tOne === tks.length, `twemproxy stored each session on one node (${tOne}/${tks.length})`);
  figure(`twemproxy ketama vs the module's ring: same node for ${tSame}/${tOne} sessions`);
  const tr = { view: 0, viewMs: 0, add: 0, cart: 0, logout: 0, out: 0 };
  for (const c of tclients.slice(0, 10)) {
    let t = Date.now();
    const v1 = await c.get(A, '/');
    const v2 = await c.get(A, '/');
    tr.viewMs = Math.max(tr.viewMs, Date.now() - t);
    if (v1.status === 200 && v2.status === 200 && v2.body.includes(c.name)) ++tr.view;
    if ((await c.post(A, '/add-to-cart', { item: 'tw-item' })).status === 200) { ++tr.add; c.items.push('tw-item'); }
    if (cartMatches(await cart(c, A), c)) ++tr.cart;
    const key = c.key;
    t = Date.now();
    const lo = await c.post(A, '/logout', {});
    if (lo.status === 302) ++tr.logout;
    if (!(await Promise.all(nodes.map((n) => holds(n, [key])))).flat().some(Boolean)) ++tr.out;
    note(`${c.name}: views ${v1.status}/${v2.status}, logout ${lo.status} in ${Date.now() - t} ms`);
  }
  figure(`through twemproxy (10 sessions): two views in a row ok ${tr.view}, add ${tr.add}, cart ${tr.cart}, logout 302 ${tr.logout}, removed from memcached ${tr.out}; slowest view pair ${tr.viewMs} ms`);
  check(tr.view === 10 && tr.add === 10 && tr.cart === 10, `through twemproxy: views, add-to-cart and cart work (${tr.view}/${tr.add}/${tr.cart} of 10)`);
  check(tr.logout === 10 && tr.out === 10, `through twemproxy: logout works and removes the session (${tr.logout} x 302, ${tr.out} removed)`);
  await frozenBehindProxy(A, nodes, tw, 'timeout 500 ms');
  await stopFront(A);
  await startFront(A, writeConf(env.file('twemproxy-notimeout.conf'), [`127.0.0.1:${tw2.port}`], 0));
  await frozenBehindProxy(A, nodes, tw2, 'no timeout');
  await stopFront(A);
  await startFront(A, twConfFile);
  await twemproxyBesideRing(A, B, nodes, three);
  await stopFront(A);

  // The same without the session lock (no lock key to delete per request).
  const twNoLock = writeConf(env.file('twemproxy-nolock.conf'), [`127.0.0.1:${tw.port}`], 0, 'SessionDemoLock Off');
  await startFront(A, twNoLock);
  const nl = { login: 0, view: 0, cart: 0, logout: 0, out: 0 };
  for (const [i, c] of Array.from({ length: 10 }, (_, k) => new Client(`twnl${k}`)).entries()) {
    if (!await c.login(A)) continue;
    ++nl.login;
    const v1 = await c.get(A, '/'), v2 = await c.get(A, '/');
    if (v1.status === 200 && v2.status === 200 && v2.body.includes(c.name)) ++nl.view;
    if ((await c.post(A, '/add-to-cart', { item: `i${i}` })).status === 200) c.items.push(`i${i}`);
    if (cartMatches(await cart(c, A), c) && c.items.length === 1) ++nl.cart;
    const key = c.key;
    if ((await c.post(A, '/logout', {})).status === 302) ++nl.logout;
    if (!(await Promise.all(nodes.map((n) => holds(n, [key])))).flat().some(Boolean)) ++nl.out;
  }
  // Re-login with a session (regenerate deletes the old ID).
  {
    const c = new Client('twrelogin');
    await c.login(A);
    const r = await req(A, 'POST', '/login', { cookie: c.cookie, form: { username: 'twrelogin2', password: 'pw' } });
    figure(`through twemproxy, SessionDemoLock Off: login again with a session (deletes the old ID) -> ${r.status}`);
  }
  // A node behind twemproxy dies (auto_eject_hosts false).
  {
    const cs = Array.from({ length: 15 }, (_, k) => new Client(`twdown${k}`));
    for (const c of cs) await c.login(A);
    const ks = cs.map((c) => c.key);
    const h2 = await holds(nodes[2], ks);
    await killNode(nodes[2]);
    await sleep(300);
    const res = { on: [], off: [] };
    for (const [i, c] of cs.entries()) {
      const r = await req(A, 'GET', '/protected', { cookie: c.cookie }).catch(() => ({ status: 0 }));
      (h2[i] ? res.on : res.off).push(r.status);
    }
    const tally = (a) => Object.entries(a.reduce((m, x) => ((m[x] = (m[x] || 0) + 1), m), {})).map(([k, v]) => `${v} x ${k}`).join(', ') || '-';
    figure(`through twemproxy, node ${nodes[2].name} killed: its sessions ${tally(res.on)}; sessions on other nodes ${tally(res.off)}`);
    check(res.off.every((x) => x === 200), `through twemproxy: sessions on the surviving nodes still served when one node dies (${tally(res.off)})`);
  }
  figure(`through twemproxy with SessionDemoLock Off (10 sessions): login ${nl.login}, views ${nl.view}, cart ${nl.cart}, logout 302 ${nl.logout}, removed ${nl.out}`);
  check(nl.login === 10 && nl.view === 10 && nl.cart === 10, `through twemproxy, SessionDemoLock Off: login, views and cart work (${nl.login}/${nl.view}/${nl.cart} of 10)`);
  await stopFront(A);
}

// One backend frozen behind the proxy (A's only server): the one twemproxy
// passes "version" on to, the command the prober once judged the proxy by.
// Only that node's sessions may fail, by the proxy's error reply or the
// module's own socket timeout (a pool without a timeout); the proxy is
// never marked down (SD00203), so the others are all served.
async function frozenBehindProxy(A, nodes, tw, what) {
  let V = -1;
  for (const [i, n] of nodes.entries()) {
    signalNode(n, 'SIGSTOP');
    const r = await mcTalk(tw.port, 'version\r\n', /\r\n$/, 1500).then(String, (e) => `error ${e.message}`);
    signalNode(n, 'SIGCONT');
    if (V < 0 && !/^VERSION/.test(r)) V = i;
  }
  if (!check(V >= 0, `twemproxy (${what}) passes "version" on to one backend (${V >= 0 ? nodes[V].name : 'none found'})`)) return;
  const cs = Array.from({ length: 12 }, (_, i) => new Client(`twfz${i}`));
  for (const c of cs) await c.login(A);
  const on = await holds(nodes[V], cs.map((c) => c.key));
  const re = (no) => new RegExp(`SD00${no}: memcached ${A.conf.servers[0]} `);
  const mark = logSize(A), res = { on: [], off: [] };
  let slowest = 0;
  signalNode(nodes[V], 'SIGSTOP');
  for (const until = Date.now() + 6000; Date.now() < until;) {
    await Promise.all(cs.map(async (c, i) => {
      const t = Date.now();
      const r = await req(A, 'GET', '/protected', { cookie: c.cookie }).catch(() => ({ status: 0 }));
      if (on[i]) slowest = Math.max(slowest, Date.now() - t);
      res[on[i] ? 'on' : 'off'].push(r.status);
    }));
  }
  const flaps = { down: countLog(A, re('203'), mark), up: countLog(A, re('204'), mark) };
  signalNode(nodes[V], 'SIGCONT');
  await sleep(1000);
  let after = 0;
  for (const c of cs) if ((await req(A, 'GET', '/protected', { cookie: c.cookie })).status === 200) ++after;
  const tally = (a) => Object.entries(a.reduce((m, x) => ((m[x] = (m[x] || 0) + 1), m), {})).map(([k, v]) => `${v} x ${k}`).join(', ') || '-';
  const nOn = on.filter(Boolean).length;
  figure(`one node frozen 6 s behind twemproxy (${what}; the node "version" goes to), 12 sessions (${nOn} on it): its sessions ${tally(res.on)} (slowest ${slowest} ms); the others ${tally(res.off)}; proxy marked down ${flaps.down} times, up ${flaps.up}; after the thaw ${after}/12 served`);
  check(res.off.length > 0 && res.off.every((x) => x === 200), `node frozen behind twemproxy (${what}): every session on the other nodes served (${tally(res.off)})`);
  check(res.on.every((x) => x === 503), `node frozen behind twemproxy (${what}): its own sessions get 503 (${tally(res.on)})`);
  check(flaps.down === 0, `node frozen behind twemproxy (${what}): the proxy is never marked down (${flaps.down} SD00203 lines, ${flaps.up} SD00204)`);
  check(after === 12, `node thawed (${what}): all 12 sessions served through twemproxy (${after}/12)`);
}

// A front-end on twemproxy (A) and one on the module's ring over the same
// nodes (B), replicas 0, as docs/cluster.md allows. Every count is a figure.
// (a) The nodes one add-to-cart touches through A and through B, from each
// node's own counters: the session's record, its lock and anything else it
// keeps; each should touch only the record's ring node.
async function nodesTouched(A, B, nodes, three, cs, keyOf) {
  const commands = async () => (await Promise.all(nodes.map((n) => new Memcached(n.port).stats())))
    .map((st) => st.cmd_get + st.cmd_set + st.cmd_touch + st.delete_hits + st.delete_misses);
  for (const c of cs) await c.login(A);
  const home = ringPlace(three, cs.map((c) => keyOf(c)));
  const one = { A: 0, B: 0 }, spread = [];
  for (const c of cs) {
    for (const f of [A, B]) {
      const before = await commands();
      const r = await c.post(f, '/add-to-cart', { item: `p-${f.name}` });
      if (r.status === 200) c.items.push(`p-${f.name}`);
      await sleep(50);   // the lock's release runs after the answer
      const touched = (await commands()).map((x, s) => (x > before[s] ? s : -1)).filter((s) => s >= 0);
      if (r.status === 200 && touched.length === 1 && touched[0] === home.get(keyOf(c))[0]) ++one[f.name];
      else spread.push(`${c.name} via ${f.name}: ${r.status} on nodes ${touched.join('+')}`);
    }
  }
  return { home, one, spread: spread.slice(0, 3).join('; ') || 'none apart' };
}

async function twemproxyBesideRing(A, B, nodes, three) {
  await startFront(B, writeConf(env.file('twemproxy-ring.conf'), three, 0));
  const tally = (a) => Object.entries(a.reduce((m, x) => ((m[x] = (m[x] || 0) + 1), m), {})).map(([k, v]) => `${v} x ${k}`).join(', ') || '-';
  const cs = Array.from({ length: 30 }, (_, i) => new Client(`twmix${i}`));
  const { home, one, spread } = await nodesTouched(A, B, nodes, three, cs, (c) => c.key);
  figure(`twemproxy (hash_tag "{}") beside the ring: an add-to-cart touches only its session's ring node for ${one.A}/${cs.length} sessions through the proxy, ${one.B}/${cs.length} through the ring`);
  check(one.A === cs.length && one.B === cs.length, `every key of a session (record, lock) on its one node, through twemproxy and the ring (${one.A}, ${one.B} of ${cs.length}; ${spread})`);

  // (b) One node killed: only its sessions may get 503, on either path.
  const V = 2, victim = nodes[V], onV = (c) => home.get(c.key)[0] === V;
  let marks = [B].map(logSize);
  await killNode(victim);
  check(await waitLogAll([B], new RegExp(`SD00203: memcached ${victim.addr} `), marks), `ring front-end noticed ${victim.name} killed`);
  const down = { A: { on: [], off: [] }, B: { on: [], off: [] } };
  for (const c of cs) {
    for (const f of [A, B]) {
      const item = `k-${f.name}`;
      const r = await c.post(f, '/add-to-cart', { item }).catch(() => ({ status: 0 }));
      if (r.status === 200) c.items.push(item);
      down[f.name][onV(c) ? 'on' : 'off'].push(r.status);
    }
  }
  const nOn = cs.filter(onV).length;
  figure(`one of 3 nodes killed, ${cs.length} sessions (${nOn} on it): through twemproxy ${tally(down.A.on.concat(down.A.off))}; through the ring ${tally(down.B.on.concat(down.B.off))}`);
  check(down.A.off.every((x) => x === 200) && down.B.off.every((x) => x === 200),
    `node killed: every session on the other nodes served, through twemproxy (${tally(down.A.off)}) and the ring (${tally(down.B.off)})`);
  check(down.A.on.every((x) => x === 503) && down.B.on.every((x) => x === 503),
    `node killed: its own sessions get 503 on both paths (${tally(down.A.on)} / ${tally(down.B.on)})`);

  // (c) The node restarted, empty: its sessions are gone, the others intact,
  // and twemproxy uses it again (new logins land on every node).
  marks = [B].map(logSize);
  await startMemcached(victim);
  check(await waitLogAll([B], new RegExp(`SD00204: memcached ${victim.addr} `), marks), `ring front-end noticed ${victim.name} back`);
  const back = { gone: 0, intactA: 0, intactB: 0 };
  for (const c of cs) {
    if (onV(c)) { if ((await req(A, 'GET', '/protected', { cookie: c.cookie })).status === 401) ++back.gone; continue; }
    if (cartMatches(await cart(c, A), c)) ++back.intactA;
    if (cartMatches(await cart(c, B), c)) ++back.intactB;
  }
  const fresh = Array.from({ length: 30 }, (_, i) => new Client(`twback${i}`));
  let relog = 0;
  for (const c of fresh) if (await c.login(A).catch(() => false)) ++relog;
  const onBack = fresh.filter((c) => c.cookie && ringPlace(three, [c.key]).get(c.key)[0] === V).length;
  figure(`node restarted empty: ${back.gone}/${nOn} of its sessions logged out; ${back.intactA}/${cs.length - nOn} others intact through twemproxy, ${back.intactB} through the ring; ${relog}/30 new logins through twemproxy (${onBack} on the restarted node)`);
  check(back.gone === nOn && back.intactA === cs.length - nOn && back.intactB === cs.length - nOn,
    `node restarted: its sessions gone (${back.gone}/${nOn}), the others intact on both paths (${back.intactA}, ${back.intactB})`);
  check(relog === 30 && onBack > 0, `node restarted: twemproxy serves logins again, some on that node (${relog}/30, ${onBack} there)`);

  // (d) Concurrent adds to one session, split across the proxy front-end
  // and the ring front-end: both take one lock, so no add is lost.
  const mix = Array.from({ length: 6 }, (_, i) => new Client(`twsplit${i}`));
  for (const c of mix) await c.login(A);
  const res = { acked: 0, kept: 0, s503: 0, other: 0, exact: 0 };
  for (const c of mix) {
    await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const item = `s${i}`;
      const r = await req(i % 2 ? B : A, 'POST', '/add-to-cart', { cookie: c.cookie, form: { item } }).catch(() => ({ status: 0 }));
      if (r.status === 200) { ++res.acked; c.items.push(item); }
      else if (r.status === 503) ++res.s503;
      else { ++res.other; c.uncertain.add(item); }
    }));
    const items = await cart(c, A);
    res.kept += c.items.filter((x) => (items || []).includes(x)).length;
    if (items && c.items.every((x) => items.includes(x)) && items.every((x) => c.items.includes(x) || c.uncertain.has(x))) ++res.exact;
  }
  figure(`12 parallel adds per session split across a twemproxy and a ring front-end, ${mix.length} sessions: ${res.acked} acknowledged, ${res.kept} kept, ${res.s503} x 503, ${res.other} other`);
  check(res.kept === res.acked && res.exact === mix.length, `mixed front-ends lose no update (${res.kept} of ${res.acked} acknowledged adds kept; ${res.exact}/${mix.length} carts exact)`);

  // (a) again in express-session's format: "sess:<id>", untagged, and its
  // lock "{sess:<id>}...": one node too.
  await Promise.all([stopFront(A), stopFront(B)]);
  const express = 'SessionDemoStoreFormat Express';
  await startFront(A, writeConf(env.file('twemproxy-express.conf'), A.conf.servers, 0, express));
  await startFront(B, writeConf(env.file('twemproxy-ring-express.conf'), three, 0, express));
  const ex = Array.from({ length: 15 }, (_, i) => new Client(`twex${i}`));
  const exp = await nodesTouched(A, B, nodes, three, ex, (c) => `sess:${sidOf(c.cookie)}`);
  figure(`SessionDemoStoreFormat Express, twemproxy beside the ring: an add-to-cart touches only its session's ring node for ${exp.one.A}/${ex.length} sessions through the proxy, ${exp.one.B}/${ex.length} through the ring`);
  check(exp.one.A === ex.length && exp.one.B === ex.length, `Express format: every key of a session on its one node, through twemproxy and the ring (${exp.one.A}, ${exp.one.B} of ${ex.length}; ${exp.spread})`);
  await stopFront(B);
}

main().catch((e) => { check(false, `driver error: ${e.stack || e}`); }).finally(async () => {
  await env.cleanup();
  console.log('# figures:');
  for (const f of figures) console.log(`#   ${f}`);
  console.log(`# time: ${elapsed()} s`);
  console.log(`1..${passed + failed}`);
  process.exit(failed ? 1 : 0);
});
