#!/usr/bin/env node
// Feeds `jfn tools --json` output for every document of the OpenAPI corpus to the validators
// real MCP clients use, and fails when any of them rejects a tool:
//
//   - ajv's JSON Schema 2020-12 build (ajv/dist/2020, with ajv-formats): every inputSchema and
//     outputSchema must compile with strict: false. Strict mode is reported, not required
//     (it rejects unknown keywords and formats that real documents carry).
//   - the official TypeScript SDK: {tools:[…]} must parse with ListToolsResultSchema, and a
//     Client must accept the list the way Client.listTools() does (it compiles every
//     outputSchema with its own ajv instance, and one failure makes listTools throw).
//   - the rules of PRODUCT.md that neither checks alone: "type":"object" at the root, no
//     top-level oneOf/anyOf/allOf, object-valued properties everywhere, patterns valid as
//     ECMA-262 with the u flag, no $id inside an example.
//
// Usage: node corpus-schemas.mjs --jfn PATH/TO/jfn --corpus PATH/TO/corpus [--workers N]
// Documents are checked in parallel worker threads (one per core by default). Prints one line
// per document, in manifest order, and a summary; exits 1 on any failure.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';

const { values: opts } = parseArgs({
  options: {
    jfn: { type: 'string' },
    corpus: { type: 'string' },
    timeout: { type: 'string', default: '120' }, // seconds per document
    workers: { type: 'string' },
  },
});
if (!opts.jfn || !opts.corpus) {
  console.error('usage: node corpus-schemas.mjs --jfn PATH/TO/jfn --corpus PATH/TO/corpus [--workers N]');
  process.exit(2);
}

const TOOL_KEYS = new Set(['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations']);
const COMBINATORS = ['oneOf', 'anyOf', 'allOf'];
// Keywords whose values are schemas, by shape, so that the walk below visits every subschema
// and nothing else (an example or a default is data, never a schema).
const SCHEMA_MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_ONE = ['items', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'contains',
  'propertyNames', 'not', 'if', 'then', 'else', 'additionalItems', 'contentSchema'];
const SCHEMA_LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const DATA = ['examples', 'example', 'default', 'const', 'enum'];

// ruleProblems returns the PRODUCT.md rules schema breaks, as sentences.
function ruleProblems(schema) {
  const out = [];
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    return ['the schema is not a JSON object'];
  }
  if (schema.type !== 'object') out.push(`root "type" is ${JSON.stringify(schema.type)}, want "object"`);
  for (const c of COMBINATORS) if (c in schema) out.push(`root has ${c}`);
  const walk = (s, ptr) => {
    if (s === true || s === false) return;
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
      out.push(`${ptr || '/'}: a schema must be an object or a boolean, got ${JSON.stringify(s)?.slice(0, 60)}`);
      return;
    }
    if (typeof s.pattern === 'string') {
      try { new RegExp(s.pattern, 'u'); } catch (e) { out.push(`${ptr}/pattern is not ECMA-262 (u flag): ${e.message}`); }
    }
    for (const k of DATA) {
      if (k in s && JSON.stringify(s[k]).includes('"$id"')) out.push(`${ptr}/${k} carries $id`);
    }
    for (const k of SCHEMA_MAP) {
      if (!(k in s)) continue;
      const m = s[k];
      if (m === null || typeof m !== 'object' || Array.isArray(m)) { out.push(`${ptr}/${k} is not an object`); continue; }
      for (const [name, sub] of Object.entries(m)) {
        if (k === 'properties' && (sub === null || typeof sub !== 'object' || Array.isArray(sub))) {
          out.push(`${ptr}/properties/${name} is not an object`);
          continue;
        }
        walk(sub, `${ptr}/${k}/${name}`);
      }
    }
    for (const k of SCHEMA_ONE) if (k in s && !Array.isArray(s[k])) walk(s[k], `${ptr}/${k}`);
    for (const k of SCHEMA_LIST) if (Array.isArray(s[k])) s[k].forEach((sub, i) => walk(sub, `${ptr}/${k}/${i}`));
  };
  walk(schema, '');
  return out;
}

function newAjv(strict) {
  // The strict instance only counts, so it skips inlining and code optimisation, which cost
  // most of the compile time on large documents and cannot change whether a schema compiles.
  const ajv = new Ajv2020(strict
    ? { strict: true, logger: false, inlineRefs: false, code: { optimize: false } }
    : { strict: false, logger: false });
  addFormats(ajv);
  return ajv;
}

// checkDocument runs jfn on one document and checks its tools. It returns counts, failure
// sentences and the reasons strict mode gave.
function checkDocument(doc) {
  const started = Date.now();
  const r = {
    doc, line: '', ms: 0, refused: false, loaded: false, tools: 0, skipped: 0, schemas: 0,
    ajv: 0, strict: 0, sdk: 0, sdkWarnings: 0, rules: 0, shape: 0, crash: 0,
    failures: [], strictReasons: {},
  };
  const fail = (kind, what) => { r[kind]++; r.failures.push(`${doc}: ${what}`); };
  let stdout;
  try {
    stdout = execFileSync(opts.jfn, ['tools', join(opts.corpus, doc), '--json'], {
      maxBuffer: 512 << 20, timeout: Number(opts.timeout) * 1000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    // Exit 1 with one line on stderr is how jfn refuses a document that is not OpenAPI at all.
    const lines = String(e.stderr || '').trim().split('\n').filter(Boolean);
    if (e.status === 1 && lines.length === 1) {
      r.refused = true;
      r.line = `  refused  ${doc}: ${lines[0]}`;
      return r;
    }
    fail('crash', `jfn tools exited ${e.status ?? e.signal}${e.signal === 'SIGTERM' ? ' (timed out)' : ''}: ${String(e.stderr || e.message).slice(0, 300)}`);
    r.line = `  FAIL     ${doc}: jfn tools failed`;
    return r;
  }
  let out;
  try {
    out = JSON.parse(stdout);
  } catch (e) {
    fail('crash', `jfn tools --json printed invalid JSON: ${e.message}`);
    r.line = `  FAIL     ${doc}: invalid JSON`;
    return r;
  }
  r.loaded = true;
  const shapeKeys = ['mode', 'bytes', 'toolsets', 'tools', 'skipped'];
  if (!Array.isArray(out.tools) || !Array.isArray(out.skipped) || !Array.isArray(out.toolsets) ||
      out.mode !== 'all' || !Number.isInteger(out.bytes) ||
      Object.keys(out).length !== shapeKeys.length || !shapeKeys.every((k) => k in out)) {
    fail('shape', `output is not {"mode":"all","bytes":N,"toolsets":[…],"tools":[…],"skipped":[…]}: keys ${Object.keys(out)}`);
    r.line = `  FAIL     ${doc}: output shape`;
    return r;
  }
  r.tools = out.tools.length;
  r.skipped = out.skipped.length;
  for (const s of out.skipped) {
    if (typeof s.operation !== 'string' || typeof s.reason !== 'string' || Object.keys(s).length !== 2) {
      fail('shape', `skipped entry ${JSON.stringify(s)} is not {operation, reason} strings`);
    }
  }

  const lax = newAjv(false);
  const strict = newAjv(true);
  const laxSeen = new Map();
  const strictSeen = new Map();
  const names = new Set();
  for (const tool of out.tools) {
    for (const k of Object.keys(tool)) {
      if (!TOOL_KEYS.has(k)) fail('shape', `tool ${tool.name} has unexpected key ${k}`);
    }
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(tool.name) || names.has(tool.name)) {
      fail('shape', `tool name ${JSON.stringify(tool.name)} is invalid or repeated`);
    }
    names.add(tool.name);
    if (typeof tool.description !== 'string' || tool.description === '') fail('shape', `tool ${tool.name} has no description`);
    if ('outputSchema' in tool && tool.outputSchema === null) fail('shape', `tool ${tool.name}: outputSchema is null (leave it out instead)`);
    for (const kind of ['inputSchema', 'outputSchema']) {
      const schema = tool[kind];
      if (schema === undefined && kind === 'outputSchema') continue;
      r.schemas++;
      const problems = ruleProblems(schema);
      if (problems.length > 0) fail('rules', `${tool.name}.${kind}: ${problems.slice(0, 3).join('; ')}`);
      // Tools often share a schema (a common error or list response): compile each distinct
      // one once; the outcome of a compile depends on the schema alone.
      const key = JSON.stringify(schema);
      if (!laxSeen.has(key)) {
        let err = null;
        try { lax.compile(schema); } catch (e) { err = e.message; }
        laxSeen.set(key, err);
      }
      if (laxSeen.get(key) !== null) {
        fail('ajv', `${tool.name}.${kind} does not compile in ajv 2020: ${laxSeen.get(key).slice(0, 300)}`);
      }
      if (!strictSeen.has(key)) {
        let err = null;
        try { strict.compile(schema); } catch (e) { err = e.message; }
        strictSeen.set(key, err);
      }
      if (strictSeen.get(key) !== null) {
        r.strict++;
        const reason = strictSeen.get(key).replace(/"[^"]*"/g, '"…"').replace(/\/[^ ]*/g, '…').slice(0, 120);
        r.strictReasons[reason] = (r.strictReasons[reason] || 0) + 1;
      }
    }
  }

  // The TypeScript SDK, as Client.listTools() runs it on a tools/list result. Its ajv logs
  // each format it does not know (a warning, not a failure): count them instead.
  const warn = console.warn;
  console.warn = () => { r.sdkWarnings++; };
  try {
    const parsed = ListToolsResultSchema.safeParse({ tools: out.tools });
    if (!parsed.success) {
      fail('sdk', `ListToolsResultSchema rejects the list: ${JSON.stringify(parsed.error.issues.slice(0, 3))}`);
    } else {
      try {
        new Client({ name: 'jfn-corpus-check', version: '1.0.0' }).cacheToolMetadata(parsed.data.tools);
      } catch (e) {
        // Name every tool the SDK's validator refuses, not only the first.
        const before = r.sdk;
        for (const tool of parsed.data.tools) {
          if (!tool.outputSchema) continue;
          try {
            new AjvJsonSchemaValidator().getValidator(tool.outputSchema);
          } catch (err) {
            fail('sdk', `${tool.name}.outputSchema: the SDK client's validator refuses it: ${err.message.slice(0, 300)}`);
          }
        }
        if (r.sdk === before) fail('sdk', `the SDK client refuses the tool list: ${e.message.slice(0, 300)}`);
      }
    }
  } finally {
    console.warn = warn;
  }
  const status = r.failures.length === 0 ? 'ok' : 'FAIL';
  r.ms = Date.now() - started;
  r.line = `  ${status.padEnd(7)}  ${doc}: ${r.tools} tools, ${r.skipped} skipped` +
    (r.strict > 0 ? `, ${r.strict} schemas fail strict mode` : '') + ` (${(r.ms / 1000).toFixed(1)} s)`;
  return r;
}

if (!isMainThread) {
  parentPort.on('message', (doc) => {
    let r;
    try {
      r = checkDocument(doc);
    } catch (e) {
      r = { doc, line: `  FAIL     ${doc}: checker crashed`, crash: 1, failures: [`${doc}: checker crashed: ${e.stack}`], strictReasons: {} };
    }
    parentPort.postMessage(r);
  });
} else {
  const manifest = readFileSync(join(opts.corpus, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split('\t')[0]);
  if (manifest.length === 0) {
    console.error(`FAIL: ${opts.corpus}/MANIFEST.tsv lists no documents`);
    process.exit(1);
  }
  // Largest first, so that the big documents do not end up last on one worker.
  const size = (doc) => { try { return readFileSync(join(opts.corpus, doc)).length; } catch { return 0; } };
  const queue = [...manifest].sort((a, b) => size(b) - size(a));
  const results = new Map();
  const workers = Math.max(1, Math.min(Number(opts.workers) || availableParallelism(), 8, queue.length));
  await Promise.all(Array.from({ length: workers }, () => new Promise((resolve, reject) => {
    const w = new Worker(fileURLToPath(import.meta.url), { argv: process.argv.slice(2) });
    const next = () => {
      const doc = queue.shift();
      if (doc === undefined) { w.terminate().then(resolve); return; }
      w.postMessage(doc);
    };
    w.on('message', (r) => { results.set(r.doc, r); next(); });
    w.on('error', reject);
    next();
  })));

  const t = { documents: manifest.length, loaded: 0, refused: 0, tools: 0, skipped: 0, schemas: 0,
    ajv: 0, strict: 0, sdk: 0, sdkWarnings: 0, rules: 0, shape: 0, crash: 0 };
  const failures = [];
  const strictReasons = new Map();
  let failedDocs = 0;
  for (const doc of manifest) {
    const r = results.get(doc);
    console.log(r.line);
    for (const k of Object.keys(t)) if (k !== 'documents' && k !== 'loaded' && k !== 'refused') t[k] += r[k] || 0;
    if (r.loaded) t.loaded++;
    if (r.refused) t.refused++;
    if (r.failures.length > 0) failedDocs++;
    failures.push(...r.failures);
    for (const [reason, n] of Object.entries(r.strictReasons)) strictReasons.set(reason, (strictReasons.get(reason) || 0) + n);
  }
  if (strictReasons.size > 0) {
    console.log('\najv strict mode (reported, not required), by reason:');
    for (const [reason, n] of [...strictReasons].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
      console.log(`  ${String(n).padStart(6)}  ${reason}`);
    }
  }
  if (failures.length > 0) {
    console.log(`\nFailures (${failures.length}):`);
    for (const f of failures.slice(0, 100)) console.log(`  ${f}`);
    if (failures.length > 100) console.log(`  … and ${failures.length - 100} more`);
  }
  console.log(`\ncorpus schemas: ${t.documents} documents (${t.loaded} loaded, ${t.refused} refused as not OpenAPI), ` +
    `${t.tools} tools, ${t.skipped} skipped, ${t.schemas} schemas (input and output)`);
  console.log(`  ajv 2020, strict: false: ${t.schemas - t.ajv}/${t.schemas} compile` +
    ` | strict mode (reported only): ${t.schemas - t.strict}/${t.schemas} compile, ${t.strict} do not`);
  console.log(`  TypeScript SDK (ListToolsResultSchema, Client output validators): ${t.sdk} failures` +
    ` (${t.sdkWarnings} unknown-format warnings)`);
  console.log(`  PRODUCT.md schema rules: ${t.rules} failures | output shape: ${t.shape} failures | crashes: ${t.crash}`);
  console.log(`corpus-schemas: ${t.documents - failedDocs} passed, ${failedDocs} failed`);
  process.exit(failures.length > 0 ? 1 : 0);
}
