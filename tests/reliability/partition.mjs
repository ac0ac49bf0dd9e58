// SPDX-License-Identifier: Apache-2.0
// Partition under load, TAP on stdout: two memcached nodes, each behind a
// loopback TCP proxy (tests/lib/env.mjs TcpProxy), one httpd with
// SessionDemoReplicas 1 over the proxies, PARTITION_CLIENTS clients adding
// cart items and viewing pages for PARTITION_SECONDS. For the last
// PARTITION_STALL_MS of it, node 0's traffic is dropped (the proxy forwards
// nothing either way, and closes nothing), then delivered again, as a
// healed network would. Passes when
//   - every request is answered, with 200 or 503 only, each within the bound
//     SessionDemoMemcacheTimeout + SessionDemoMemcacheProbeInterval (one
//     memcached call, docs/reliability.md) + 1 s for the rest of the request;
//   - no acknowledged cart item is lost, on either node's copy (each node is
//     read on its own after the heal, the other one cut off): node 0 has
//     what it missed only from the replay of missed writes;
//   - memcached never saw flush_all;
//   - after both servers close every pooled connection (FIN), as a restart
//     between two probes does, the next requests are served.
// Figures are TAP comments. Started by tests/reliability/run.sh.
import fs from 'node:fs';
import { Env, Memcached, TcpProxy, appRequest, sleep, waitFor } from '../lib/env.mjs';

const SECONDS = +(process.env.PARTITION_SECONDS || 15);
const STALL_MS = +(process.env.PARTITION_STALL_MS || 5000);
const CLIENTS = +(process.env.PARTITION_CLIENTS || 24);
const TIMEOUT_MS = 500, INTERVAL_MS = 500;
const BOUND_MS = TIMEOUT_MS + INTERVAL_MS + 1000;
const THREADS = 32, H2_WORKERS = 8;

const env = new Env('partition');
let n = 0, failed = 0;
const ok = (cond, what) => { ++n; if (!cond) ++failed; console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${what}`); return cond; };
const note = (s) => console.log(`# ${s}`);
process.on('exit', () => env.killAll());

const req = (port, method, path, cookie, form) =>
  appRequest(port, method, path, { cookie, form }).then((r) => ({ ...r, cookie: r.setCookie }));

function writeOverlay(file) {
  fs.writeFileSync(file, [
    '# written by tests/reliability/partition.mjs',
    'StartServers 2', 'ServerLimit 2', `ThreadsPerChild ${THREADS}`, `MaxRequestWorkers ${2 * THREADS}`,
    `MinSpareThreads ${THREADS}`, `MaxSpareThreads ${2 * THREADS}`,
    'SessionDemoReplicas 1',
    `SessionDemoMemcacheTimeout ${TIMEOUT_MS}`,
    `SessionDemoMemcacheProbeInterval ${INTERVAL_MS}`,
    'SessionDemoMaxCartItems 10000',
    // mod_http2's workers use the store too: the pool must count them.
    'LoadModule http2_module /usr/lib/apache2/modules/mod_http2.so',
    `H2MaxWorkers ${H2_WORKERS}`,
  ].join('\n') + '\n');
  return file;
}

// Both children of the front-end logged `what` about `addr` since `mark`.
function bothSaid(mark, code, addr) {
  return waitFor(() => env.errorLog('front').slice(mark).split('\n')
    .filter((l) => l.includes(`${code}: memcached ${addr} `)).length >= 2, 5000, 100);
}

async function main() {
  const nodes = [];
  for (const name of ['p0', 'p1']) {
    await env.reserve(name);
    await env.memcached(name, ['-m', '64', '-t', '2', '-c', '1024']);
    nodes.push({ name, port: env.mcPort(name) });
  }
  const proxies = await Promise.all(nodes.map((nd) => new TcpProxy(nd.port).listen()));
  const front = await env.httpd('front', { overlay: writeOverlay(env.file('partition.conf')),
                                           memcached: proxies.map((p) => p.addr), waitMs: 20000 });
  note(`memcached ${nodes.map((x) => x.port).join(', ')} behind proxies ${proxies.map((p) => p.addr).join(', ')}; httpd :${front.port}; ` +
       `${CLIENTS} clients for ${SECONDS} s, ${nodes[0].name}'s traffic dropped for ${STALL_MS} ms`);

  const clients = [];
  for (let i = 0; i < CLIENTS; ++i) {
    const r = await req(front.port, 'POST', '/login', null, { username: `part${i}`, password: 'pw' });
    clients.push({ name: `part${i}`, cookie: r.cookie, items: [], uncertain: new Set(), k: 0 });
  }
  ok(clients.every((c) => c.cookie), `${CLIENTS} clients logged in`);
  {
    const st = await req(front.port, 'GET', '/sessiondemo-status?json');
    const pool = JSON.parse(st.body).connections_per_server;
    ok(pool === THREADS + H2_WORKERS + 1,
       `connection pool per server: ${pool} = ThreadsPerChild ${THREADS} + H2MaxWorkers ${H2_WORKERS} + the prober`);
  }

  const tally = { requests: 0, s200: 0, s503: 0, other: 0, noAnswer: 0, maxMs: 0, maxMsStall: 0, overBound: 0 };
  let stalled = false;
  const stopAt = Date.now() + SECONDS * 1000;
  const worker = async (c) => {
    while (Date.now() < stopAt) {
      const add = Math.random() < 0.5;
      const item = `${c.name}-${c.k++}`;
      const t = Date.now();
      let r;
      try {
        r = add ? await req(front.port, 'POST', '/add-to-cart', c.cookie, { item })
                : await req(front.port, 'GET', '/', c.cookie);
      } catch {
        ++tally.noAnswer;
        if (add) c.uncertain.add(item);
        continue;
      }
      const ms = Date.now() - t;
      ++tally.requests;
      tally.maxMs = Math.max(tally.maxMs, ms);
      if (stalled) tally.maxMsStall = Math.max(tally.maxMsStall, ms);
      if (ms > BOUND_MS) ++tally.overBound;
      if (r.status === 200) { ++tally.s200; if (add) c.items.push(item); }
      else if (r.status === 503) ++tally.s503;
      else ++tally.other;
      await sleep(10 + Math.random() * 20);
    }
  };
  const orchestrate = (async () => {
    // The partition ends with the load: no request rewrites a session
    // after the heal, so node 0 is current only if the writes it missed
    // are replayed to it.
    await sleep(Math.max(0, SECONDS * 1000 - STALL_MS));
    proxies[0].stall();
    stalled = true;
    note(`${nodes[0].name} partitioned`);
    await sleep(STALL_MS);
    proxies[0].pass();
    stalled = false;
    note(`${nodes[0].name} healed (${proxies[0].counts.held} chunks held back were delivered)`);
  })();
  await Promise.all([...clients.map(worker), orchestrate]);

  note(`requests ${tally.requests}: 200 ${tally.s200}, 503 ${tally.s503}, other ${tally.other}, unanswered ${tally.noAnswer}; ` +
       `slowest ${tally.maxMs} ms (during the partition ${tally.maxMsStall} ms), bound ${BOUND_MS} ms`);
  ok(tally.noAnswer === 0 && tally.other === 0, `every request answered with 200 or 503 (${tally.other} other, ${tally.noAnswer} unanswered)`);
  ok(tally.overBound === 0, `every request answered within ${BOUND_MS} ms (${tally.overBound} over; slowest ${tally.maxMs} ms)`);

  // The heal is noticed and the missed writes replayed; then each node's
  // copy is read on its own (the other node's proxy resets every connection).
  const log = () => env.errorLog('front');
  ok(await waitFor(() => /SD00204: memcached 127\.0\.0\.1:\d+ is answering again/.test(log()), 5000, 100),
     'the heal was noticed (SD00204)');
  await sleep(1500);   // a probe interval or two: the replay of missed writes
  const acked = clients.reduce((a, c) => a + c.items.length, 0);
  const exact = [];
  for (const [i, other] of [proxies[1], proxies[0]].entries()) {
    let mark = log().length;
    other.reset();
    ok(await bothSaid(mark, 'SD00203', other.addr), `${nodes[i].name} alone: the other node is cut off and noticed`);
    let good = 0;
    const wrong = [];
    for (const c of clients) {
      const r = await req(front.port, 'GET', '/cart', c.cookie).catch(() => ({ status: 0 }));
      let items = null;
      try { items = JSON.parse(r.body).items; } catch { /* counted wrong */ }
      const kept = (items || []).filter((x) => !c.uncertain.has(x));
      if (r.status === 200 && kept.length === c.items.length && kept.every((x, j) => x === c.items[j])) ++good;
      else wrong.push(`${c.name}: status ${r.status}, want ${c.items.length} got ${items ? items.length : '-'}`);
    }
    exact.push(good);
    ok(good === CLIENTS, `${nodes[i].name} alone holds every acknowledged item of every cart (${good}/${CLIENTS}${wrong.length ? '; ' + wrong.slice(0, 3).join('; ') : ''})`);
    mark = log().length;
    other.pass();
    await bothSaid(mark, 'SD00204', other.addr);
  }
  // Both servers hang up every connection politely (FIN), as memcached's
  // idle timeout or a restart between two probes leaves them: the pooled
  // sockets read an empty reply, which apr_memcache reports like a
  // refusal. Requests right after must all be served, none logged as a
  // refusal (SD00205).
  {
    await Promise.all(clients.map((c) => req(front.port, 'GET', '/', c.cookie).catch(() => null)));
    const mark = log().length;
    for (const p of proxies) p.hangUp();
    const codes = await Promise.all(clients.map((c) => req(front.port, 'GET', '/cart', c.cookie)
      .then((r) => r.status, () => 0)));
    const served = codes.filter((x) => x === 200).length;
    const refusals = log().slice(mark).split('\n').filter((l) => /SD00205/.test(l)).length;
    note(`hang-up: ${proxies.reduce((a, p) => a + p.counts.hungUp, 0)} pooled connections closed by the servers`);
    ok(served === CLIENTS && refusals === 0,
       `after both servers closed every pooled connection, ${served}/${CLIENTS} requests served and ${refusals} taken for a refusal`);
  }
  // One replica returns while the other is cut off at the same moment: the
  // returning one is brought up to date (a replay, which takes the session
  // locks on both replicas) while requests go on. Requests stay within the
  // bound; reads served in that window may miss the newest items (the
  // returning copy is all there is until the replay has run); afterwards
  // every acknowledged item is back.
  {
    proxies[0].stall();
    let mark = log().length;
    await bothSaid(mark, 'SD00203', proxies[0].addr);
    let acked2 = 0;
    await Promise.all(clients.map(async (c) => {
      const item = `${c.name}-swap`;
      const r = await req(front.port, 'POST', '/add-to-cart', c.cookie, { item }).catch(() => null);
      if (r && r.status === 200) { c.items.push(item); ++acked2; }
      else c.uncertain.add(item);
    }));
    const t0 = Date.now();
    proxies[0].pass();
    proxies[1].stall();
    let slowest = 0, stale = 0, answered = 0, over = 0;
    const until = Date.now() + 4000;
    await Promise.all(clients.map(async (c) => {
      while (Date.now() < until) {
        const t = Date.now();
        const r = await req(front.port, 'GET', '/cart', c.cookie).catch(() => ({ status: 0 }));
        const ms = Date.now() - t;
        slowest = Math.max(slowest, ms);
        if (ms > BOUND_MS) ++over;
        if (r.status === 200) {
          ++answered;
          try { if (!JSON.parse(r.body).items.includes(`${c.name}-swap`)) ++stale; } catch { ++stale; }
        }
        await sleep(20);
      }
    }));
    ok(over === 0, `${nodes[0].name} back and ${nodes[1].name} cut off at once: every request within ${BOUND_MS} ms (slowest ${slowest} ms, ${over} over)`);
    note(`FIGURE swap: ${acked2} items written while ${nodes[0].name} was away; then for 4 s with only it: ${answered} carts served, ${stale} of them without the newest item (before its replay ran)`);
    mark = log().length;
    proxies[1].pass();
    await bothSaid(mark, 'SD00204', proxies[1].addr);
    await sleep(1500);
    let exactNow = 0;
    for (const c of clients) {
      const r = await req(front.port, 'GET', '/cart', c.cookie).catch(() => ({ status: 0 }));
      let items = null;
      try { items = JSON.parse(r.body).items; } catch { /* wrong */ }
      const kept = (items || []).filter((x) => !c.uncertain.has(x));
      if (kept.length === c.items.length && kept.every((x, j) => x === c.items[j])) ++exactNow;
    }
    ok(exactNow === CLIENTS, `... and once both are back, every cart holds every acknowledged item (${exactNow}/${CLIENTS})`);
  }
  const flushes = (await Promise.all(nodes.map((x) => new Memcached(x.port).stats()))).reduce((a, st) => a + st.cmd_flush, 0);
  ok(flushes === 0, `memcached never saw flush_all (cmd_flush ${flushes})`);
  note(`FIGURE partition ${STALL_MS} ms under ${CLIENTS} clients: ${tally.requests} requests, ${tally.s503} x 503, slowest ${tally.maxMs} ms (bound ${BOUND_MS}); ` +
       `${acked} items acknowledged, kept on node 0 alone ${exact[0]}/${CLIENTS} carts, on node 1 alone ${exact[1]}/${CLIENTS}`);
  for (const p of proxies) await p.close();
}

main().catch((e) => ok(false, `driver error: ${e.stack || e}`)).finally(async () => {
  await env.cleanup();
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
});
