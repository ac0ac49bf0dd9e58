// SPDX-License-Identifier: Apache-2.0
'use strict';
// A JavaScript port of src/template.c (the module's Handlebars subset:
// {{a.b}}, {{#if a.b}}..{{else}}..{{/if}}, {{! c }}, {{!-- c --}}, {{> name}})
// and of src/views.c's {{> style}}, {{> head}} and {{> foot}}, so the Express app renders the module's
// own templates/*.html byte for byte.
// Values are looked up in the view, HTML-escaped with the same seven
// characters, numbers and booleans printed the way the C engine does.
const fs = require('node:fs');
const path = require('node:path');

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };

function compile(src, partials = {}) {
  const root = { list: [] };
  const stack = [{ node: root, tail: root.list }];
  let pos = 0;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    if (open < 0) { stack[stack.length - 1].tail.push({ text: src.slice(pos) }); break; }
    if (open > pos) stack[stack.length - 1].tail.push({ text: src.slice(pos, open) });
    let body = open + 2;
    if (src[body] === '!') {
      const long = src.startsWith('!--', body);
      const closer = long ? '--}}' : '}}';
      const end = src.indexOf(closer, body + (long ? 3 : 1));
      if (end < 0) throw new Error('unclosed comment');
      pos = end + closer.length;
      continue;
    }
    const end = src.indexOf('}}', body);
    if (end < 0) throw new Error('unclosed tag');
    const tag = src.slice(body, end).trim();
    pos = end + 2;
    const top = stack[stack.length - 1];
    if (tag.startsWith('>')) {
      const name = tag.slice(1).trim();
      if (!Object.prototype.hasOwnProperty.call(partials, name)) throw new Error(`unknown partial '{{${tag}}}'`);
      top.tail.push({ text: partials[name] });
    } else if (tag.startsWith('#if ')) {
      const n = { cond: tag.slice(4).trim().split('.'), then: [], else: [] };
      top.tail.push(n);
      stack.push({ node: n, tail: n.then });
    } else if (tag === 'else') {
      top.tail = top.node.else;
    } else if (tag === '/if') {
      stack.pop();
    } else {
      top.tail.push({ path: tag.split('.') });
    }
  }
  return root.list;
}

function lookup(view, segs) {
  let v = view;
  for (const s of segs) {
    v = v !== null && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, s) ? v[s] : undefined;
    if (v === undefined) return undefined;
  }
  return v;
}

function truthy(v) {
  if (v === undefined || v === null || v === false) return false;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length !== 0;
  if (Array.isArray(v)) return v.length !== 0;
  return true;
}

function value(v) {
  if (typeof v === 'string') return v.replace(/[&<>"'`=]/g, (c) => ESC[c]);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : (v === 0 ? '0' : String(Number(v.toPrecision(15))));
  if (v === true) return 'true';
  if (v === false) return 'false';
  return '';
}

function renderList(list, view) {
  let out = '';
  for (const n of list) {
    if (n.text !== undefined) out += n.text;
    else if (n.path) out += value(lookup(view, n.path));
    else out += renderList(truthy(lookup(view, n.cond)) ? n.then : n.else, view);
  }
  return out;
}

// What src/views.c makes {{> style}} stand for.
const VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">';

function loadTemplates(dir) {
  const t = {};
  const style = `${VIEWPORT}\n<style>${fs.readFileSync(path.join(dir, 'style.css'), 'utf8')}</style>`;
  // head.html and foot.html, rendered once; their final newline is the
  // {{> }} tag line's own.
  const partials = { style };
  for (const name of ['head', 'foot']) {
    const text = renderList(compile(fs.readFileSync(path.join(dir, name + '.html'), 'utf8'), { style }), {});
    partials[name] = text.endsWith('\n') ? text.slice(0, -1) : text;
  }
  for (const name of ['home', 'login', 'profile', 'error']) {
    const tree = compile(fs.readFileSync(path.join(dir, name + '.html'), 'utf8'), partials);
    t[name] = (view) => renderList(tree, view);
  }
  return t;
}

module.exports = { loadTemplates, compile, renderList };
