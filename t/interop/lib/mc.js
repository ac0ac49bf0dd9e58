'use strict';
// A raw memcached text-protocol client for the suite: it reads what is
// really stored (bytes, flags, remaining TTL via the meta command
// `mg <key> s f t v`) rather than going through any session library.
const net = require('node:net');

class Memcached {
  constructor(port, host = '127.0.0.1') { this.port = port; this.host = host; }

  // Sends one command; resolves with the raw reply once `done(buf)` says it is complete.
  request(cmd, done, timeoutMs = 3000) {
    return new Promise((resolve, reject) => {
      const sock = net.connect(this.port, this.host);
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`memcached timeout: ${cmd.toString().slice(0, 60)}`)); }, timeoutMs);
      sock.on('error', (e) => { clearTimeout(timer); reject(e); });
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (done(buf)) { clearTimeout(timer); sock.end(); resolve(buf); }
      });
      sock.write(cmd);
    });
  }

  // { value: Buffer, flags, ttl } or null. ttl: remaining seconds, -1 = never expires.
  async mg(key) {
    const reply = await this.request(`mg ${key} s f t v\r\n`, (b) => {
      const nl = b.indexOf('\r\n');
      if (nl < 0) return false;
      const head = b.subarray(0, nl).toString();
      if (!head.startsWith('VA ')) return true;
      return b.length >= nl + 2 + Number(head.split(' ')[1]) + 2;
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
    const reply = await this.request(Buffer.concat([Buffer.from(`set ${key} ${flags} ${ttl} ${data.length}\r\n`), data, Buffer.from('\r\n')]),
      (b) => b.includes('\r\n'));
    if (reply.toString() !== 'STORED\r\n') throw new Error(`set ${key}: ${reply}`);
  }

  async del(key) {
    await this.request(`delete ${key}\r\n`, (b) => b.includes('\r\n'));
  }

  async version() {
    return (await this.request('version\r\n', (b) => b.includes('\r\n'))).toString().trim();
  }
}

module.exports = { Memcached };
