// SPDX-License-Identifier: Apache-2.0
// HTTP for the suite: one request = one fresh connection with a timeout, and
// a cookie jar that, like a browser, scopes cookies by host but not by port,
// so the cookie set by Express on one port is sent to httpd on another.
import http from 'node:http';

export class Jar {
  constructor() { this.cookies = new Map(); }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  store(setCookies) {
    for (const sc of setCookies || []) {
      const [pair, ...attrs] = sc.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const exp = attrs.map((a) => a.trim()).find((a) => /^expires=/i.test(a));
      const expired = exp && Date.parse(exp.slice(8)) <= Date.now();
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get(name) { return this.cookies.get(name); }
  set(name, value) { this.cookies.set(name, value); }
  clear() { this.cookies.clear(); }
}

// request(port, method, path, {jar, form, headers}) -> {status, headers, body, setCookie}
export function request(port, method, path, opts = {}) {
  const headers = { Host: `127.0.0.1:${port}`, Connection: 'close', ...(opts.headers || {}) };
  let body = null;
  if (opts.form) {
    body = Buffer.from(new URLSearchParams(opts.form).toString());
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = body.length;
  } else if (method === 'POST') {
    headers['Content-Length'] = 0;
  }
  if (opts.cookie !== undefined) {
    if (opts.cookie) headers.Cookie = opts.cookie;
  } else if (opts.jar && opts.jar.header()) {
    headers.Cookie = opts.jar.header();
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: opts.timeout || 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const setCookie = res.headers['set-cookie'] || [];
        if (opts.jar && opts.store !== false) opts.jar.store(setCookie);
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), setCookie });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} :${port}${path}`)));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}
