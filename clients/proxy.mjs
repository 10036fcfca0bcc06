#!/usr/bin/env node
// A loopback proxy for clients that cannot send X-Jelou-Token (the conformance suite), and the
// upstream of a small fixture function for the suite's schema scenario.
//
//   node proxy.mjs --target http://127.0.0.1:8080 --prefix /conformance --token-file FILE
//
// The proxy listens on 127.0.0.1 (a free port), forwards every request to TARGET with PREFIX
// put before its path, adds X-Jelou-Token with the token in FILE (read at the first request,
// since the function is deployed after the fixture upstream listens; never printed nor put in
// a command line), and keeps everything else as sent, Host and Origin included, so that the
// gateway's own Host and Origin rules see what the client sent. Responses, SSE streams
// included, are passed through as they come.
//
// The fixture upstream serves fixture.json (next to this file) at /openapi.json and answers
// its operations with the JSON body it received.
//
// Prints one JSON line when both listen: {"proxy":"http://127.0.0.1:P","fixture":"http://127.0.0.1:F"}
// and runs until it is killed.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string' },
    prefix: { type: 'string', default: '' },
    'token-file': { type: 'string' },
  },
});
if (!opts.target || !opts['token-file']) {
  console.error('usage: node proxy.mjs --target http://127.0.0.1:PORT --token-file FILE [--prefix /function]');
  process.exit(2);
}
let token = '';
function currentToken() {
  if (token === '') {
    try { token = readFileSync(opts['token-file'], 'utf8').trim(); } catch { /* not written yet */ }
  }
  return token;
}
const target = new URL(opts.target);
const prefix = opts.prefix.replace(/\/$/, '');

const proxy = http.createServer((req, res) => {
  const headers = { ...req.headers };
  const t = currentToken();
  if (t !== '') headers['x-jelou-token'] = t;
  const up = http.request({
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: prefix + req.url,
    headers, // host included: the gateway sees the Host the client sent
  }, (upRes) => {
    res.writeHead(upRes.statusCode, upRes.rawHeaders);
    res.flushHeaders(); // an SSE stream may send its headers long before its first event
    upRes.pipe(res);
  });
  up.on('error', (err) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Bad Gateway', message: `proxy: ${err.message}` }));
    } else {
      res.destroy(err);
    }
  });
  // A client that goes away ends the upstream request too (GET streams would linger).
  res.on('close', () => up.destroy());
  req.pipe(up);
});

const fixtureDoc = readFileSync(new URL('./fixture.json', import.meta.url));
const fixture = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/openapi.json') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(fixtureDoc);
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8') || '{}';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
});

const listen = (srv) => new Promise((resolve, reject) => {
  srv.once('error', reject);
  srv.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${srv.address().port}`));
});
const [p, f] = await Promise.all([listen(proxy), listen(fixture)]);
console.log(JSON.stringify({ proxy: p, fixture: f }));
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { proxy.closeAllConnections(); fixture.closeAllConnections(); process.exit(0); });
}
