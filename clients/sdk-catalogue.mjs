#!/usr/bin/env node
// The official TypeScript SDK's client against the catalogues of a function with a large
// document (PRODUCT.md, "Catalogues for agents"), configured as Brain Studio is: a URL and an
// X-Jelou-Token header (StreamableHTTPClientTransport with requestInit.headers).
//
//   node sdk-catalogue.mjs --mcp http://GATEWAY/big/mcp --token-file FILE --upstream http://127.0.0.1:P
//
// The function is bigapi.mjs (60 operations: 30 "issues", 20 "pulls", 10 untagged) deployed
// with the default mode (auto); --upstream is that server, whose GET /__calls lists the
// requests it received and GET /openapi.json its document. Checks, each failing the run:
//   1. the default connection lists exactly search_tools, describe_tool and call_tool;
//   2. search_tools with a task → describe_tool of the top result → call_tool reaches the
//      upstream with the right method, path, query and JSON body;
//   3. ?mode=all&toolsets=pulls (and =issues) lists exactly the operations the document tags
//      so, and describe_tool describes a tool exactly as that listing shows it;
//   4. filter[state], listed as filter.state, reaches the upstream as written, through
//      call_tool and through a direct call;
//   5. the SDK's own outputSchema validation of search_tools and describe_tool results does
//      not throw (the validators exist), and an unknown toolset in the URL fails the
//      connection with HTTP 400 naming it and the valid ones.
// Prints one line per check and "sdk-catalogue: N passed, M failed" last.

import { readFileSync } from 'node:fs';
import { isDeepStrictEqual, parseArgs } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const { values: opts } = parseArgs({
  options: {
    mcp: { type: 'string' },
    'token-file': { type: 'string' },
    upstream: { type: 'string' },
    header: { type: 'string', default: 'X-Jelou-Token' },
  },
});
if (!opts.mcp || !opts['token-file'] || !opts.upstream) {
  console.error('usage: node sdk-catalogue.mjs --mcp http://GATEWAY/NAME/mcp --token-file FILE --upstream http://127.0.0.1:PORT');
  process.exit(2);
}
const token = readFileSync(opts['token-file'], 'utf8').trim();

let passed = 0;
let failed = 0;
async function check(name, body) {
  const started = Date.now();
  try {
    const detail = await body();
    passed++;
    console.log(`  ok    ${name}${detail ? `: ${detail}` : ''} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`  FAIL  ${name}: ${e?.stack ?? e}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
const json = (v) => JSON.stringify(v);
const textOf = (result) => (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
const sorted = (a) => [...a].sort();

async function connect(query = '') {
  const client = new Client({ name: 'jfn-sdk-catalogue-check', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(opts.mcp + query), {
    requestInit: { headers: { [opts.header]: token } },
  });
  await client.connect(transport);
  return client;
}
// session runs body with a connected client (to the URL with query), and closes it.
async function session(query, body) {
  const client = await connect(query);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

// The upstream's record: calls() is every request so far; since(n) the ones after the nth.
async function calls() {
  const r = await fetch(`${opts.upstream}/__calls`);
  assert(r.ok, `GET ${opts.upstream}/__calls: HTTP ${r.status}`);
  return r.json();
}
async function upstreamCall(run) {
  const before = (await calls()).length;
  const result = await run();
  const after = (await calls()).slice(before);
  assert(after.length === 1, `the upstream received ${after.length} requests for one call, want 1: ${json(after)}`);
  return { result, call: after[0] };
}

// What the document declares: operationIds by tag ("untagged" for none).
const doc = await (await fetch(`${opts.upstream}/openapi.json`)).json();
const byTag = {};
for (const item of Object.values(doc.paths)) {
  for (const op of Object.values(item)) {
    for (const tag of op.tags?.length ? op.tags : ['untagged']) (byTag[tag] ??= []).push(op.operationId);
  }
}
const total = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);

const meta = ['search_tools', 'describe_tool', 'call_tool'];
const mergeArgs = { owner: 'acme', repo: 'widgets', pull_number: 42, merge_method: 'squash', commit_title: 'Ship the widget', sha: '6dcb09b' };

await check(`1. a ${total}-operation document in the default mode (auto) lists exactly the 3 search tools`, async () => {
  assert(total === 60, `the upstream's document has ${total} operations, want 60`);
  return session('', async (c) => {
    const { tools } = await c.listTools();
    const names = tools.map((t) => t.name);
    assert(isDeepStrictEqual(sorted(names), sorted(meta)), `tools/list = ${json(names)}, want exactly ${json(meta)}`);
    for (const t of tools) {
      assert(t.inputSchema?.type === 'object' && t.description, `${t.name} lacks a description or an object inputSchema: ${json(t)}`);
    }
    return json(names);
  });
});

await check('2. search_tools (a task) → describe_tool (top result) → call_tool reaches the upstream with method, path, query and body', async () => {
  return session('', async (c) => {
    await c.listTools();
    const query = 'merge pull request 42 of acme/widgets with a squash commit';
    const found = await c.callTool({ name: 'search_tools', arguments: { query, limit: 5 } });
    assert(!found.isError, `search_tools isError: ${textOf(found)}`);
    const { results, total: matched } = found.structuredContent ?? {};
    assert(Array.isArray(results) && results.length > 0 && results.length <= 5 && matched >= results.length,
      `search_tools ${json(query)} = ${json(found.structuredContent)}, want 1 to 5 results and a total`);
    const top = results[0];
    assert(top.name === 'mergePull' && top.method === 'PUT' && top.path === '/repos/{owner}/{repo}/pulls/{pull_number}/merge' &&
      isDeepStrictEqual(top.toolsets, ['pulls']) && top.summary && top.score > 0,
    `search_tools ${json(query)} ranks ${json(top)} first, want mergePull (PUT …/merge, toolsets [pulls], a summary and a score)`);
    assert(textOf(found).includes('mergePull'), `search_tools' text ${json(textOf(found))} does not name mergePull`);

    const desc = await c.callTool({ name: 'describe_tool', arguments: { name: top.name } });
    assert(!desc.isError, `describe_tool ${top.name} isError: ${textOf(desc)}`);
    const described = desc.structuredContent;
    const props = described?.inputSchema?.properties ?? {};
    for (const p of Object.keys(mergeArgs)) {
      assert(p in props, `describe_tool ${top.name}: inputSchema has no property ${p}: ${json(described?.inputSchema)}`);
    }
    assert(described.annotations && typeof described.description === 'string', `describe_tool ${top.name} lacks annotations or a description: ${json(described)}`);

    const { result, call } = await upstreamCall(() => c.callTool({ name: 'call_tool', arguments: { name: top.name, arguments: mergeArgs } }));
    assert(!result.isError, `call_tool ${top.name} isError: ${textOf(result)}`);
    assert(result.structuredContent?.ran === 'PUT /repos/acme/widgets/pulls/42/merge',
      `call_tool ${top.name} structuredContent = ${json(result.structuredContent)}, want the upstream's answer`);
    const want = { method: 'PUT', url: '/repos/acme/widgets/pulls/42/merge?merge_method=squash' };
    assert(call.method === want.method && call.url === want.url, `the upstream received ${call.method} ${call.url}, want ${want.method} ${want.url}`);
    let body;
    try { body = JSON.parse(call.body); } catch { /* checked below */ }
    assert(isDeepStrictEqual(body, { commit_title: 'Ship the widget', sha: '6dcb09b' }),
      `the upstream received the body ${json(call.body)}, want {"commit_title":"Ship the widget","sha":"6dcb09b"}`);
    return `${top.name} ranked 1st of ${matched}; upstream got ${call.method} ${call.url} ${call.body}`;
  });
});

await check('3. ?mode=all&toolsets=<tag> lists exactly the operations the document tags so', async () => {
  const got = {};
  for (const tag of ['pulls', 'issues']) {
    await session(`?mode=all&toolsets=${tag}`, async (c) => {
      const { tools } = await c.listTools();
      got[tag] = tools;
      const names = tools.map((t) => t.name);
      assert(isDeepStrictEqual(sorted(names), sorted(byTag[tag])),
        `?mode=all&toolsets=${tag} lists ${names.length} tools ${json(sorted(names))}, want the document's ${byTag[tag].length} ${json(sorted(byTag[tag]))}`);
    });
  }
  // describe_tool's answer is the tool exactly as "all" mode lists it.
  const described = await session('', async (c) => {
    const r = await c.callTool({ name: 'describe_tool', arguments: { name: 'mergePull' } });
    assert(!r.isError, `describe_tool mergePull isError: ${textOf(r)}`);
    return r.structuredContent;
  });
  const listed = got.pulls.find((t) => t.name === 'mergePull');
  const keys = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'];
  for (const k of keys) {
    assert(isDeepStrictEqual(described[k], listed[k]), `describe_tool mergePull's ${k} = ${json(described[k])}, ?mode=all lists ${json(listed[k])}`);
  }
  // A tool outside the connection's toolsets cannot be called.
  await session('?mode=all&toolsets=pulls', async (c) => {
    await c.listTools();
    let res, err;
    try { res = await c.callTool({ name: 'listIssues', arguments: { owner: 'acme', repo: 'widgets' } }); } catch (e) { err = e; }
    assert(err || res?.isError, `tools/call listIssues on a pulls-only connection = ${json(res)}, want an error`);
  });
  return `pulls: ${got.pulls.length} tools, issues: ${got.issues.length} tools, as declared; describe_tool = the listed definition`;
});

await check('4. filter[state], listed as filter.state, reaches the upstream as written', async () => {
  const accepted = ['/repos/acme/widgets/issues?filter%5Bstate%5D=open', '/repos/acme/widgets/issues?filter[state]=open'];
  const viaSearch = await session('', async (c) => {
    await c.listTools();
    const desc = await c.callTool({ name: 'describe_tool', arguments: { name: 'listIssues' } });
    assert(!desc.isError, `describe_tool listIssues isError: ${textOf(desc)}`);
    const props = desc.structuredContent?.inputSchema?.properties ?? {};
    assert(props['filter.state'] && !props['filter[state]'], `describe_tool listIssues properties = ${json(Object.keys(props))}, want filter.state (not filter[state])`);
    assert(String(props['filter.state'].description).includes('(sent as "filter[state]")'),
      `filter.state's description ${json(props['filter.state'].description)} does not say (sent as "filter[state]")`);
    const { result, call } = await upstreamCall(() => c.callTool({
      name: 'call_tool', arguments: { name: 'listIssues', arguments: { owner: 'acme', repo: 'widgets', 'filter.state': 'open' } },
    }));
    assert(!result.isError, `call_tool listIssues isError: ${textOf(result)}`);
    assert(call.method === 'GET' && accepted.includes(call.url), `call_tool listIssues reached the upstream as ${call.method} ${call.url}, want GET ${accepted.join(' or ')}`);
    return { result, call };
  });
  const direct = await session('?mode=all&toolsets=issues', async (c) => {
    await c.listTools();
    const { result, call } = await upstreamCall(() => c.callTool({ name: 'listIssues', arguments: { owner: 'acme', repo: 'widgets', 'filter.state': 'open' } }));
    assert(!result.isError, `tools/call listIssues isError: ${textOf(result)}`);
    assert(call.method === 'GET' && accepted.includes(call.url), `tools/call listIssues reached the upstream as ${call.method} ${call.url}, want GET ${accepted.join(' or ')}`);
    return { result, call };
  });
  assert(isDeepStrictEqual(direct.result.structuredContent, viaSearch.result.structuredContent),
    `a direct call gave ${json(direct.result.structuredContent)}, call_tool gave ${json(viaSearch.result.structuredContent)}; want the same`);
  return `upstream got GET ${viaSearch.call.url} (call_tool) and ${direct.call.url} (direct)`;
});

await check("5a. the SDK's outputSchema validation accepts search_tools and describe_tool results", async () => {
  return session('', async (c) => {
    await c.listTools();
    // Without the validators callTool validates nothing, and "does not throw" proves nothing.
    for (const name of ['search_tools', 'describe_tool']) {
      assert(c.getToolOutputValidator(name), `the SDK compiled no outputSchema validator for ${name}`);
    }
    let n = 0;
    for (const query of ['merge pull request 42', 'add the label bug to issue 7', 'render markdown as html', 'xyzzy plugh']) {
      const r = await c.callTool({ name: 'search_tools', arguments: { query, limit: 50 } });
      assert(!r.isError && r.structuredContent, `search_tools ${json(query)}: isError ${r.isError}, ${textOf(r)}`);
      n++;
    }
    // Every tool, with or without a body, an output schema or a query parameter.
    for (const name of Object.values(byTag).flat()) {
      const r = await c.callTool({ name: 'describe_tool', arguments: { name } });
      assert(!r.isError && r.structuredContent?.name === name, `describe_tool ${name}: isError ${r.isError}, ${textOf(r).slice(0, 200)}`);
      n++;
    }
    const unknown = await c.callTool({ name: 'describe_tool', arguments: { name: 'mergePul' } });
    assert(unknown.isError && textOf(unknown).includes('mergePull'), `describe_tool mergePul = ${textOf(unknown)}, want isError naming mergePull`);
    return `${n + 1} validated calls, an unknown name is isError with close matches`;
  });
});

await check('5b. an unknown toolset in the URL fails the connection (HTTP 400 naming it and the valid ones)', async () => {
  let err;
  try {
    const c = await connect('?toolsets=pulls,nope');
    await c.close();
  } catch (e) {
    err = e;
  }
  assert(err, 'connecting with ?toolsets=pulls,nope succeeded');
  const msg = String(err.message);
  assert(err.code === 400, `error code ${err.code} (${msg}), want 400`);
  for (const word of ['nope', 'issues', 'pulls', 'untagged']) {
    assert(msg.includes(word), `the 400's message ${json(msg)} does not name ${word}`);
  }
  return msg.slice(0, 160);
});

console.log(`sdk-catalogue: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
