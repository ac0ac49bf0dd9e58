// SPDX-License-Identifier: Apache-2.0
// The two servers of the interop suite, on tests/lib/env.mjs: one httpd
// with a virtual host per configuration under test (an overlay on
// conf/httpd-run.conf), and one Node process running the Express app of
// app.js with an instance per configuration.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, TEMPLATES } from '../../lib/env.mjs';

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'app.js');

// An httpd directive argument in double quotes.
function q(s) { return '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"'; }

// startHttpd(env, name, vhosts): vhosts is { host: { secrets: [...],
// prefix, maxAge, extra: [directives] } }; the first host is the main server
// (one secret: the base configuration's), the others <VirtualHost>s on ports
// of their own. Resolves with { host: port }.
export async function startHttpd(env, name, vhosts) {
  const [main, ...others] = Object.keys(vhosts);
  if (vhosts[main].secrets.length !== 1) throw new Error('the main server takes exactly one secret');
  const ports = { [main]: await freePort() };
  for (const n of others) ports[n] = await freePort();
  // Sessions written by Express carry no realm: this suite is the case
  // SessionDemoRealmless Adopt exists for (docs/security.md). Every virtual
  // host is the one site the Express peer serves too (a key rotation spans
  // two of them), so they share one realm. Sharing with Express needs
  // express-session's plain format (the default, Sealed, is not readable
  // by connect-memcached).
  const options = (v) => [
    'SessionDemoStoreFormat Express',
    'SessionDemoRealmless Adopt',
    `SessionDemoRealm ${q(v.realm || 'interop')}`,
    v.prefix !== undefined ? `SessionDemoKeyPrefix ${q(v.prefix)}` : '',
    v.maxAge !== undefined ? `SessionDemoMaxAge ${v.maxAge}` : '',
    ...(v.extra || []),
  ];
  const lines = [
    `# written by tests/interop/lib/servers.mjs for httpd ${name}`,
    'StartServers 1', 'ServerLimit 1', 'ThreadsPerChild 8', 'MaxRequestWorkers 8', 'MinSpareThreads 1', 'MaxSpareThreads 8',
    ...options(vhosts[main]),
    ...others.flatMap((n) => [
      `Listen 127.0.0.1:${ports[n]}`,
      `<VirtualHost 127.0.0.1:${ports[n]}>`,
      `ServerName ${n}.interop`,
      `SessionDemoSecret ${vhosts[n].secrets.map(q).join(' ')}`,
      ...options(vhosts[n]),
      '</VirtualHost>',
    ]),
  ];
  const overlay = env.file(`httpd-${name}.overlay.conf`);
  fs.writeFileSync(overlay, lines.filter(Boolean).join('\n') + '\n');
  await env.httpd(name, { overlay, port: ports[main], secret: vhosts[main].secrets[0] });
  return ports;
}

// startExpress(env, memcached, instances): instances is [{ name, secret,
// maxAge, prefix }]. Resolves with { ports: { name: port }, log: [lines] }.
export async function startExpress(env, memcached, instances) {
  const cfg = { memcached, templates: TEMPLATES, instances };
  const child = env.spawn('express', process.execPath, [APP, JSON.stringify(cfg)], { out: 'pipe' });
  const log = [];
  const ports = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('the Express app did not start within 10 s')), 10000);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the Express app exited with ${code}`)); });
    child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const msg = JSON.parse(line);
          if (msg.ready) { clearTimeout(timer); resolve(msg.ready); continue; }
        } catch { /* an ordinary log line */ }
        log.push(line);
      }
    });
  });
  return { ports, log };
}
