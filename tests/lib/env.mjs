// SPDX-License-Identifier: Apache-2.0
// The test environment for the Node suites (interop, browser, cluster): the
// verbs of tests/lib/env.sh (a private run directory, memcached instances on
// free loopback ports, httpd from conf/httpd-run.conf plus an overlay, a stop
// of everything) and the one raw memcached client of the JavaScript code.
// The run directory has env.sh's layout, so the entry scripts' sd_env_cleanup
// stops whatever a crashed node process left behind:
//   pid/<name>.pid, memcached-<name>.port, httpd-<name>.port,
//   httpd-<name>/ (that httpd's SD_RUNDIR), secret.
// Every process is the leader of its own process group (detached), and every
// wait is bounded.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TEMPLATES = path.join(TOP, 'templates');
const APACHE = process.env.SD_APACHE || '/usr/sbin/apache2';
const ROOT = process.getuid() === 0;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A loopback port nobody listens on, never the same twice in this process
// (a port is handed out before whoever gets it binds it).
const handedOut = new Set();
export async function freePort(host = '127.0.0.1') {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer();
      s.unref();
      s.on('error', reject);
      s.listen(0, host, () => { const { port: p } = s.address(); s.close(() => resolve(p)); });
    });
    if (!handedOut.has(port)) { handedOut.add(port); return port; }
  }
}

export function canConnect(port, host = '127.0.0.1', ms = 1000) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.setTimeout(ms);
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
    s.on('timeout', () => { s.destroy(); resolve(false); });
  });
}

// Polls fn() every stepMs until it is true; false after ms.
export async function waitFor(fn, ms, stepMs = 50) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await sleep(stepMs);
  }
}

function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(t); resolve(true); });
  });
}

function httpStatus(port, ms = 2000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: ms }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export class Env {
  // Attaches to $SD_RUN when the entry script made it, else makes its own.
  constructor(tag = 'node') {
    this.owned = !process.env.SD_RUN;
    this.dir = process.env.SD_RUN || fs.mkdtempSync(path.join(os.tmpdir(), `sessiondemo-${tag}.`));
    fs.mkdirSync(path.join(this.dir, 'pid'), { recursive: true });
    fs.chmodSync(this.dir, 0o755);   // httpd's children (nobody) traverse it
    const secretFile = path.join(this.dir, 'secret');
    if (!fs.existsSync(secretFile)) fs.writeFileSync(secretFile, crypto.randomBytes(48).toString('base64'), { mode: 0o600 });
    this.secret = fs.readFileSync(secretFile, 'utf8').trim();
    this.procs = new Map();   // name -> ChildProcess
  }

  file(name) { return path.join(this.dir, name); }
  pid(name) { const c = this.procs.get(name); return c ? c.pid : undefined; }

  // spawn(name, cmd, args, {env, log, out}): stderr to log (<name>.log), stdout
  // to out (the same), or piped with out: 'pipe'.
  spawn(name, cmd, args, { env = {}, log = this.file(`${name}.log`), out = log } = {}) {
    const fd = fs.openSync(log, 'a');
    const ofd = out === 'pipe' ? 'pipe' : out === log ? fd : fs.openSync(out, 'a');
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', ofd, fd], env: { ...process.env, ...env } });
    fs.closeSync(fd);
    if (typeof ofd === 'number' && ofd !== fd) fs.closeSync(ofd);
    child.log = log;
    child.on('error', (e) => fs.appendFileSync(log, `\nspawn ${cmd}: ${e.message}\n`));
    if (child.pid) {
      const pidFile = this.file(`pid/${name}.pid`);
      fs.writeFileSync(pidFile, `${child.pid}\n`);
      this.procs.set(name, child);
      child.on('exit', () => {
        if (this.procs.get(name) !== child) return;
        this.procs.delete(name);
        fs.rmSync(pidFile, { force: true });
      });
    }
    return child;
  }

  // stop(name, signal, ms): signal to the process (it passes it on as it sees
  // fit), SIGKILL to its whole process group once it is gone or after ms.
  async stop(name, signal = 'SIGTERM', ms = 10000) {
    const child = this.procs.get(name);
    if (!child) return;
    const group = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
    group('SIGCONT');
    try { process.kill(child.pid, signal); } catch { /* gone */ }
    await exited(child, ms);
    group('SIGKILL');
    await exited(child, 5000);
  }

  signal(name, sig) { const c = this.procs.get(name); if (c) process.kill(c.pid, sig); }

  // --- memcached
  mcPort(name) { try { return Number(fs.readFileSync(this.file(`memcached-${name}.port`), 'utf8')); } catch { return 0; } }
  mcAddr(name) { return `127.0.0.1:${this.mcPort(name)}`; }
  async reserve(name) {
    if (!this.mcPort(name)) fs.writeFileSync(this.file(`memcached-${name}.port`), `${await freePort()}\n`);
    return this.mcPort(name);
  }

  // memcached(name, args): memcached (64 MB, no UDP, loopback, as nobody when
  // root; later args override) on name's port, or a fresh one; a fresh port
  // taken by someone else meanwhile is replaced.
  async memcached(name, args = []) {
    const fresh = !this.mcPort(name);
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await this.reserve(name);
      const child = this.spawn(`memcached-${name}`, 'memcached',
        [...(ROOT ? ['-u', 'nobody'] : []), '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64', ...args]);
      const up = await waitFor(async () => child.exitCode !== null || await canConnect(port), 5000);
      if (up && child.exitCode === null) return { name, port, addr: this.mcAddr(name) };
      await this.stop(`memcached-${name}`, 'SIGKILL');
      if (!fresh) break;
      fs.rmSync(this.file(`memcached-${name}.port`), { force: true });
    }
    throw new Error(`memcached ${name} did not start: ${fs.readFileSync(this.file(`memcached-${name}.log`), 'utf8').slice(-500)}`);
  }
  mcStop(name) { return this.stop(`memcached-${name}`, 'SIGKILL'); }   // a crash, not a shutdown
  mcPause(name) { this.signal(`memcached-${name}`, 'SIGSTOP'); }
  mcResume(name) { this.signal(`memcached-${name}`, 'SIGCONT'); }

  // --- httpd
  httpdPort(name) { try { return Number(fs.readFileSync(this.file(`httpd-${name}.port`), 'utf8')); } catch { return 0; } }
  httpdDir(name) { return this.file(`httpd-${name}`); }
  errorLog(name) { try { return fs.readFileSync(path.join(this.httpdDir(name), 'error.log'), 'utf8'); } catch { return ''; } }

  // httpd(name, {overlay, port, memcached, secret, env, waitMs}): httpd from
  // conf/httpd-run.conf with the overlay file, on name's port (kept across a
  // restart), ready once GET / answers 200. memcached: one address or a list.
  async httpd(name, { overlay = '/dev/null', port, memcached, secret = this.secret, env = {}, waitMs = 15000 } = {}) {
    const dir = this.httpdDir(name);
    fs.mkdirSync(path.join(dir, 'htdocs'), { recursive: true });
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, 'htdocs'), 0o755);
    if (!this.httpdPort(name)) fs.writeFileSync(this.file(`httpd-${name}.port`), `${port || await freePort()}\n`);
    const p = this.httpdPort(name);
    const user = ROOT ? 'nobody' : os.userInfo().username;
    const child = this.spawn(`httpd-${name}`, APACHE, ['-f', path.join(TOP, 'conf/httpd-run.conf'), '-DFOREGROUND'], {
      log: path.join(dir, 'error.log'),
      out: path.join(dir, 'access.log'),
      env: {
        SD_TOP: TOP, SD_RUNDIR: dir, SD_PORT: String(p), SD_SECRET: secret, SD_OVERLAY: overlay,
        SD_MEMCACHED: [].concat(memcached || this.mcAddr('main')).join(' '),
        SD_USER: user, SD_GROUP: ROOT ? 'nogroup' : user, SD_MODULE: process.env.SD_MODULE || path.join(TOP, '.libs/mod_sessiondemo.so'),
        ...env,
      },
    });
    const up = await waitFor(async () => child.exitCode !== null || await httpStatus(p) === 200, waitMs, 100);
    if (!up || child.exitCode !== null) {
      await this.stop(`httpd-${name}`);
      throw new Error(`httpd ${name} did not start on port ${p}:\n${this.errorLog(name).slice(-1500)}`);
    }
    return { name, port: p, dir };
  }
  httpdStop(name, signal = 'SIGTERM', ms = 10000) { return this.stop(`httpd-${name}`, signal, ms); }

  async stopAll() {
    for (const name of [...this.procs.keys()].reverse()) await this.stop(name);
  }
  // Stops everything, newest first, and removes the run directory if this
  // process made it (SD_KEEP=1 keeps it).
  async cleanup() {
    await this.stopAll();
    if (this.owned && !process.env.SD_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
  // Last resort on process exit: no waiting possible, so SIGKILL at once.
  killAll() {
    for (const c of this.procs.values()) {
      try { process.kill(-c.pid, 'SIGCONT'); process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

// appRequest(port, method, path, {cookie, form, timeout}): one request to
// the app on loopback, a new connection each (no agent), the session in
// connect.sid. Resolves with { status, headers, body, setCookie } (the new
// connect.sid value, '' when cleared, undefined when not sent).
export function appRequest(port, method, pathname, { cookie, form, timeout = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const body = form ? new URLSearchParams(form).toString() : null;
    const headers = {};
    if (cookie) headers.Cookie = `connect.sid=${cookie}`;
    if (body !== null) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const r = http.request({ host: '127.0.0.1', port, method, path: pathname, headers, agent: false }, (resp) => {
      let data = '';
      resp.setEncoding('utf8');
      resp.on('data', (d) => { data += d; });
      resp.on('end', () => {
        let setCookie;
        for (const c of resp.headers['set-cookie'] || []) {
          const m = /^connect\.sid=([^;]*)/.exec(c);
          if (m) setCookie = m[1];
        }
        resolve({ status: resp.statusCode, headers: resp.headers, body: data, setCookie });
      });
    });
    r.setTimeout(timeout, () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    if (body !== null) r.write(body);
    r.end();
  });
}

// mcTalk(port, payload, until, ms): sends payload to memcached, resolves with
// the reply (a Buffer) once until(buffer) is true, or a RegExp matches it.
export function mcTalk(port, payload, until, ms = 5000) {
  const done = until instanceof RegExp ? (b) => until.test(b.toString('latin1')) : until;
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`memcached ${port}: timeout on ${String(payload).slice(0, 60)}`)); }, ms);
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (done(buf)) { clearTimeout(timer); sock.end(); resolve(buf); }
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => { clearTimeout(timer); resolve(buf); });
  });
}

// Reads what is really stored (bytes, flags, remaining TTL via the meta
// command `mg <key> s f t v`) rather than going through a session library.
export class Memcached {
  constructor(port) { this.port = port; }

  // { value: Buffer, flags, ttl, size } or null; ttl -1 = never expires.
  async mg(key) {
    const reply = await mcTalk(this.port, `mg ${key} s f t v\r\n`, (b) => {
      const nl = b.indexOf('\r\n');
      if (nl < 0) return false;
      const head = b.subarray(0, nl).toString();
      return !head.startsWith('VA ') || b.length >= nl + 2 + Number(head.split(' ')[1]) + 2;
    });
    const nl = reply.indexOf('\r\n');
    const head = reply.subarray(0, nl).toString();
    if (head === 'EN') return null;
    if (!head.startsWith('VA ')) throw new Error(`unexpected mg reply: ${head}`);
    const parts = head.split(' ');
    const size = Number(parts[1]);
    const meta = {};
    for (const p of parts.slice(2)) meta[p[0]] = p.slice(1);
    return { value: reply.subarray(nl + 2, nl + 2 + size), flags: Number(meta.f), ttl: Number(meta.t), size: Number(meta.s) };
  }

  async set(key, value, flags, ttl) {
    const data = Buffer.isBuffer(value) ? value : Buffer.from(value);
    const reply = await mcTalk(this.port, Buffer.concat([Buffer.from(`set ${key} ${flags} ${ttl} ${data.length}\r\n`), data, Buffer.from('\r\n')]), /\r\n/);
    if (reply.toString() !== 'STORED\r\n') throw new Error(`set ${key}: ${reply}`);
  }

  async del(key) { await mcTalk(this.port, `delete ${key}\r\n`, /\r\n/); }

  // Which of keys the server holds (pipelined meta gets; "mn" marks the end).
  async holds(keys) {
    if (!keys.length) return [];
    const out = (await mcTalk(this.port, keys.map((k) => `mg ${k}\r\n`).join('') + 'mn\r\n', /MN\r\n$/, 20000)).toString();
    const lines = out.split('\r\n').filter((l) => l && l !== 'MN');
    if (lines.length !== keys.length) throw new Error(`mg on :${this.port}: ${lines.length} answers for ${keys.length} keys`);
    return lines.map((l) => l.startsWith('HD'));
  }

  async flush() { return /OK/.test((await mcTalk(this.port, 'flush_all\r\n', /\r\n$/)).toString()); }

  // The general statistics ("stats"), as numbers where they are numbers.
  async stats() {
    const out = (await mcTalk(this.port, 'stats\r\n', /END\r\n$/)).toString();
    const m = {};
    for (const l of out.split('\r\n')) {
      const [tag, k, v] = l.split(' ');
      if (tag === 'STAT') m[k] = /^\d+$/.test(v) ? Number(v) : v;
    }
    return m;
  }
}

// A loopback TCP proxy in front of one server, for faults that signals
// cannot make: a partition seen by one client and not another (each client
// gets its own proxy), or packets dropped while both ends stay alive.
//   pass()   forwards both ways (and delivers what a stall held back, the
//            way TCP retransmits once a partition heals);
//   stall()  forwards nothing either way, on open and new connections alike:
//            dropped packets, with no reset and no close;
//   reset()  closes every connection at once and each new one on arrival;
//   hangUp() closes every open connection the polite way, as memcached's
//            idle timeout or a restart does: a FIN, and what the client
//            sends after it is read and dropped (no reset), so the client
//            reads an empty reply; new connections are served as usual.
export class TcpProxy {
  constructor(targetPort, { host = '127.0.0.1' } = {}) {
    this.target = targetPort;
    this.host = host;
    this.mode = 'pass';
    this.pairs = new Set();
    this.counts = { accepted: 0, held: 0, reset: 0, hungUp: 0 };
  }

  async listen(port) {
    this.port = port || await freePort(this.host);
    this.server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    await new Promise((res, rej) => { this.server.once('error', rej); this.server.listen(this.port, this.host, res); });
    return this;
  }

  get addr() { return `${this.host}:${this.port}`; }

  accept(client) {
    ++this.counts.accepted;
    if (this.mode === 'reset') { ++this.counts.reset; client.resetAndDestroy(); return; }
    const upstream = net.connect(this.target, this.host);
    const pair = { client, upstream, held: [] };
    this.pairs.add(pair);
    const relay = (from, to) => from.on('data', (d) => {
      if (pair.hungUp) return;
      if (this.mode === 'pass' && pair.held.length === 0) to.write(d);
      else { pair.held.push([to, d]); ++this.counts.held; }
    });
    client.on('end', () => client.end());
    relay(client, upstream);
    relay(upstream, client);
    const end = () => { this.pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('error', end);
    client.on('close', end);
    // A hung-up pair keeps its client side open (reading and dropping).
    const upstreamEnd = () => { if (!pair.hungUp) end(); };
    upstream.on('error', upstreamEnd);
    upstream.on('close', upstreamEnd);
  }

  pass() {
    this.mode = 'pass';
    for (const pair of this.pairs) {
      for (const [to, d] of pair.held.splice(0)) if (!to.destroyed) to.write(d);
    }
  }

  stall() { this.mode = 'stall'; }

  hangUp() {
    for (const pair of this.pairs) {
      pair.hungUp = true;
      pair.upstream.destroy();
      pair.client.end();
      ++this.counts.hungUp;
    }
  }

  reset() {
    this.mode = 'reset';
    for (const { client, upstream } of this.pairs) { client.resetAndDestroy(); upstream.destroy(); }
    this.pairs.clear();
  }

  close() {
    this.reset();
    return new Promise((res) => (this.server ? this.server.close(() => res()) : res()));
  }
}
