#!/usr/bin/env node
// The official TypeScript SDK's client against jfn's /mcp, configured as Brain Studio is: a
// URL and an X-Jelou-Token header (StreamableHTTPClientTransport with requestInit.headers).
//
//   node sdk-client.mjs --demo demo.json
//
// demo.json is what `jfn demo --json` printed. Checks, each failing the run:
//   - connect, listTools and callTool on balance (structuredContent, the SDK's own
//     outputSchema validation, an upstream 404 and invalid arguments as isError results);
//   - a wrong token is refused at connect (401);
//   - several sessions at once on shop, each calling getProduct with its own ids, never
//     receive another session's result.
// Prints one line per check and "sdk-client: N passed, M failed" last.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const { values: opts } = parseArgs({
  options: {
    demo: { type: 'string' },
    sessions: { type: 'string', default: '8' },
    calls: { type: 'string', default: '12' },
  },
});
if (!opts.demo) {
  console.error('usage: node sdk-client.mjs --demo demo.json');
  process.exit(2);
}
const demo = JSON.parse(readFileSync(opts.demo, 'utf8'));
const fn = (name) => {
  const f = demo.functions.find((x) => x.name === name);
  if (!f) throw new Error(`jfn demo --json lists no function ${name}`);
  return f;
};

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

async function connect(f, token = f.token) {
  const client = new Client({ name: 'jfn-sdk-check', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(f.mcp_url), {
    requestInit: { headers: { [f.header_name]: token } },
  });
  await client.connect(transport);
  return client;
}

const textOf = (result) => (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');

const balance = fn('balance');
const shop = fn('shop');

await check('balance: connect, listTools, callTool getBalance', async () => {
  const client = await connect(balance);
  try {
    const info = client.getServerVersion();
    const caps = client.getServerCapabilities();
    assert(caps?.tools, `server capabilities ${JSON.stringify(caps)} lack tools`);
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === 'getBalance');
    assert(tool, `tools/list = ${tools.map((t) => t.name)}, want getBalance`);
    assert(tool.description && tool.inputSchema?.type === 'object' && tool.outputSchema?.type === 'object',
      `getBalance lacks a description, an object inputSchema or an outputSchema: ${JSON.stringify(tool)}`);
    // callTool validates structuredContent against the outputSchema, and throws when it does not match.
    const res = await client.callTool({ name: 'getBalance', arguments: { phone: '+593987654321' } });
    assert(!res.isError, `getBalance returned isError: ${textOf(res)}`);
    const sc = res.structuredContent;
    assert(sc?.phone === '+593987654321' && sc?.balance === 125.5 && sc?.currency === 'USD',
      `structuredContent = ${JSON.stringify(sc)}, want phone +593987654321, balance 125.5 USD`);
    assert(JSON.parse(textOf(res)).balance === 125.5, `text block ${textOf(res)} is not the same JSON`);
    return `server ${info?.name}, ${tools.length} tool, balance ${sc.balance} ${sc.currency}`;
  } finally {
    await client.close();
  }
});

await check('balance: upstream 404 and invalid arguments are isError results', async () => {
  const client = await connect(balance);
  try {
    await client.listTools();
    const missing = await client.callTool({ name: 'getBalance', arguments: { phone: '+10000000000' } });
    assert(missing.isError === true && textOf(missing).includes('HTTP 404'),
      `unknown phone: isError ${missing.isError}, text ${textOf(missing)}; want isError and HTTP 404`);
    const bad = await client.callTool({ name: 'getBalance', arguments: { phone: 'nope' } });
    assert(bad.isError === true && textOf(bad).includes('phone'),
      `invalid phone: isError ${bad.isError}, text ${textOf(bad)}; want isError naming phone`);
    return 'HTTP 404 → isError; bad phone → isError naming "phone"';
  } finally {
    await client.close();
  }
});

await check('balance: a wrong token is refused (401)', async () => {
  let err;
  try {
    const c = await connect(balance, 'jfn_rt_' + 'x'.repeat(48));
    await c.close();
  } catch (e) {
    err = e;
  }
  assert(err, 'connect with a wrong token succeeded');
  assert(String(err?.code) === '401' || /401|Unauthorized/.test(String(err?.message)), `error ${err} does not say 401`);
  return String(err.message).slice(0, 80);
});

await check(`shop: ${opts.sessions} sessions × ${opts.calls} concurrent calls never see another session's result`, async () => {
  const ids = ['p-100', 'p-101', 'p-102', 'p-103', 'p-104'];
  const clients = await Promise.all(Array.from({ length: Number(opts.sessions) }, () => connect(shop)));
  try {
    await Promise.all(clients.map((c) => c.listTools()));
    let calls = 0;
    await Promise.all(clients.map((c, s) => Promise.all(Array.from({ length: Number(opts.calls) }, async (_, i) => {
      // Each session asks for its own sequence of ids; a result for any other id is a leak.
      const id = ids[(s + i) % ids.length];
      const res = await c.callTool({ name: 'getProduct', arguments: { 'product-id': id } });
      assert(!res.isError, `session ${s} call ${i}: isError ${textOf(res)}`);
      assert(res.structuredContent?.id === id,
        `session ${s} call ${i} asked for ${id} and received ${JSON.stringify(res.structuredContent)}`);
      calls++;
    }))));
    return `${calls} calls, every result matched its request`;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});

console.log(`sdk-client: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
