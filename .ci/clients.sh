#!/usr/bin/env bash
# Real MCP clients, written by others, against a running jfn (`jfn demo`: the example functions
# balance and shop on a temporary store, plus a fixture function for the conformance suite):
#
#   (a) the official conformance suite, @modelcontextprotocol/conformance, through a loopback
#       proxy that adds X-Jelou-Token (the suite cannot send headers) and keeps Host and
#       Origin; clients/baseline.yml lists the scenarios expected to fail, and why;
#   (b) the MCP Inspector CLI, @modelcontextprotocol/inspector: tools/list, tools/call, an
#       isError result (exit 5), a missing token (exit 3), and the stateless 2026-07-28
#       revision (--protocol-era modern);
#   (c) the official TypeScript SDK client, set up as Brain Studio is (clients/sdk-client.mjs);
#   (d) the same client against the catalogues of a large document (clients/sdk-catalogue.mjs):
#       clients/bigapi.mjs (60 operations in toolsets, recording what it receives) is deployed
#       as the function big in the default mode (auto, hence search).
#
# Every failure fails the script (after all checks have run); it never skips. Output of the
# suite and the server log go to .ci/node/results/ (ignored by git). Prints a summary last.
set -euo pipefail
cd "$(dirname "$0")/.."
. clients/setup.sh

results=.ci/node/results
rm -rf "$results"
mkdir -p "$results"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

failures=()
summary=()
pass() { summary+=("ok    $1"); echo "  ok    $1"; }
fail() { failures+=("$1"); summary+=("FAIL  $1"); echo "  FAIL  $1"; }

# jget FILE PATH prints the value at a dotted PATH (functions.0.token) of a JSON file.
jget() {
  node -e 'const v = process.argv[2].split(".").reduce((o, k) => o?.[k], JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")));
    if (v === undefined) process.exit(1); process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"
}
# status URL exits 0 when GET URL answers 200.
status200() {
  node -e 'fetch(process.argv[1]).then(r => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$1"
}
# waitfor SECONDS CMD… retries CMD every 0.2 s until it succeeds.
waitfor() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    sleep 0.2
  done
}

echo "building jfn"
go build -o "$work/jfn" ./cmd/jfn

echo "starting jfn demo"
"$work/jfn" demo --json --listen 127.0.0.1:0 >"$work/demo.json" 2>"$results/demo.log" &
pids+=($!)
if ! waitfor 30 jget "$work/demo.json" gateway >/dev/null; then
  echo "FAIL: jfn demo printed no gateway address within 30 s; its log:" >&2
  tail -20 "$results/demo.log" >&2
  exit 1
fi
gw=$(jget "$work/demo.json" gateway)
admin=$(jget "$work/demo.json" admin)
store=$(jget "$work/demo.json" store)
if ! waitfor 30 status200 "$admin/readyz"; then
  echo "FAIL: $admin/readyz did not answer 200 within 30 s" >&2
  exit 1
fi
echo "gateway $gw is ready"

# The fixture function: proxy.mjs serves its OpenAPI document (clients/fixture.json), and is
# the token-adding proxy in front of its /mcp. The CLI deploys it into the demo's store,
# which the running server picks up.
node clients/proxy.mjs --target "$gw" --prefix /conformance --token-file "$work/conformance.token" \
  >"$work/proxy.json" 2>"$results/proxy.log" &
pids+=($!)
waitfor 15 jget "$work/proxy.json" proxy >/dev/null || { echo "FAIL: the loopback proxy did not start" >&2; exit 1; }
proxy=$(jget "$work/proxy.json" proxy)
fixture=$(jget "$work/proxy.json" fixture)
"$work/jfn" deploy conformance --url "$fixture" --db "$store" --json >"$work/deploy.json"
(umask 077 && jget "$work/deploy.json" token >"$work/conformance.token")
if ! waitfor 15 status200 "$gw/conformance/__health"; then
  echo "FAIL: the fixture function did not become healthy within 15 s" >&2
  exit 1
fi

# The big function, for (d): bigapi.mjs serves its document and records every request.
node clients/bigapi.mjs >"$work/bigapi.json" 2>"$results/bigapi.log" &
pids+=($!)
waitfor 15 jget "$work/bigapi.json" upstream >/dev/null || { echo "FAIL: clients/bigapi.mjs did not start" >&2; exit 1; }
bigapi=$(jget "$work/bigapi.json" upstream)
"$work/jfn" deploy big --url "$bigapi" --db "$store" --json >"$work/deploy-big.json"
(umask 077 && jget "$work/deploy-big.json" token >"$work/big.token")
if ! waitfor 15 status200 "$gw/big/__health"; then
  echo "FAIL: the big function did not become healthy within 15 s" >&2
  exit 1
fi

echo
echo "(a) conformance suite (@modelcontextprotocol/conformance), all scenarios, through $proxy"
conf_rc=0
(cd clients && npx --no-install conformance server --url "$proxy/mcp" --suite all \
  --expected-failures baseline.yml -o "../$results/conformance") >"$results/conformance.txt" 2>&1 || conf_rc=$?
total=$(grep -a '^Total:' "$results/conformance.txt" | tail -1 || true)
echo "  $total"
if [ "$conf_rc" -eq 0 ] && [ -n "$total" ]; then
  pass "conformance: $total; every failure is in clients/baseline.yml"
else
  sed -n '/Expected failures/,$p' "$results/conformance.txt" | grep -av '^  ~ ' || tail -30 "$results/conformance.txt"
  fail "conformance: exit $conf_rc ($total); see $results/conformance.txt"
fi

echo
echo "(b) MCP Inspector CLI (@modelcontextprotocol/inspector)"
export MCP_CATALOG_PATH=$work/inspector-catalog.json MCP_CLIENT_CONFIG_PATH=$work/inspector-client.json
balance_url=$(jget "$work/demo.json" functions.0.mcp_url)
balance_token=$(jget "$work/demo.json" functions.0.token)
shop_url=$(jget "$work/demo.json" functions.1.mcp_url)
shop_token=$(jget "$work/demo.json" functions.1.token)
[ "$(jget "$work/demo.json" functions.0.name)" = balance ] && [ "$(jget "$work/demo.json" functions.1.name)" = shop ] ||
  { echo "FAIL: jfn demo --json does not list balance then shop" >&2; exit 1; }

# inspect NAME WANT_EXIT NODE_CHECK ARGS…: runs the Inspector CLI with ARGS, expects exit
# WANT_EXIT, and runs NODE_CHECK (a JS expression over `out`, its parsed stdout or stderr
# JSON) which must be true.
n=0
inspect() {
  local name=$1 want=$2 expr=$3
  shift 3
  n=$((n + 1))
  local out=$work/inspector-$n.out err=$work/inspector-$n.err rc=0
  (cd clients && npx --no-install mcp-inspector --cli "$@" --format json --stored-auth-only) >"$out" 2>"$err" || rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "inspector: $name: exit $rc, want $want; stdout $(head -c 300 "$out"); stderr $(head -c 300 "$err")"
    return
  fi
  if ! node -e 'const fs = require("fs"); const raw = fs.readFileSync(process.argv[1], "utf8").trim() || fs.readFileSync(process.argv[2], "utf8").trim();
      const out = JSON.parse(raw.split("\n").filter(l => l.startsWith("{")).pop());
      let ok = false; try { ok = eval(process.argv[3]); } catch (e) { console.error(e.message); }
      if (!ok) { console.error(JSON.stringify(out).slice(0, 400)); process.exit(1); }' "$out" "$err" "$expr" 2>"$err.check"; then
    fail "inspector: $name: exit $rc but the output fails $expr: $(tr '\n' ' ' <"$err.check")"
    return
  fi
  pass "inspector: $name (exit $rc)"
}
tok() { printf 'X-Jelou-Token: %s' "$1"; }

inspect "balance tools/list" 0 \
  'out.result.tools.length === 1 && out.result.tools[0].name === "getBalance" && out.result.tools[0].outputSchema.type === "object"' \
  "$balance_url" --transport http --header "$(tok "$balance_token")" --method tools/list
inspect "shop tools/list --strict (schema portability)" 0 \
  'out.result.tools.map(t => t.name).sort().join() === "createOrder,getOrderStatus,getProduct,listProducts,paymentWebhook"' \
  "$shop_url" --transport http --header "$(tok "$shop_token")" --method tools/list --strict
inspect "balance tools/call getBalance" 0 \
  'out.result.structuredContent.balance === 125.5 && out.result.structuredContent.currency === "USD" && !out.result.isError' \
  "$balance_url" --transport http --header "$(tok "$balance_token")" \
  --method tools/call --tool-name getBalance --tool-args-json '{"phone":"+593987654321"}'
inspect "shop tools/call listProducts (query parameters)" 0 \
  'out.result.structuredContent.products.length === 2 && out.result.structuredContent.products.every(p => p.category === "coffee")' \
  "$shop_url" --transport http --header "$(tok "$shop_token")" \
  --method tools/call --tool-name listProducts --tool-args-json '{"category":"coffee","limit":2}'
inspect "balance tools/call, unknown customer → isError" 5 \
  'out.result.isError === true && out.result.content[0].text.startsWith("HTTP 404 Not Found")' \
  "$balance_url" --transport http --header "$(tok "$balance_token")" \
  --method tools/call --tool-name getBalance --tool-args-json '{"phone":"+10000000000"}'
inspect "balance tools/list without a token → 401" 3 \
  'out.error.code === "auth_required" && out.error.message.includes("Missing or invalid X-Jelou-Token header")' \
  "$balance_url" --transport http --method tools/list
inspect "balance tools/list with shop's token → 401" 3 \
  'out.error.code === "auth_required"' \
  "$balance_url" --transport http --header "$(tok "$shop_token")" --method tools/list
inspect "balance tools/list --protocol-era modern (2026-07-28)" 0 \
  'out.result.tools.length === 1 && out.result.tools[0].name === "getBalance"' \
  "$balance_url" --transport http --header "$(tok "$balance_token")" --method tools/list --protocol-era modern
inspect "balance tools/call --protocol-era modern (2026-07-28)" 0 \
  'out.result.structuredContent.balance === 125.5' \
  "$balance_url" --transport http --header "$(tok "$balance_token")" --protocol-era modern \
  --method tools/call --tool-name getBalance --tool-args-json '{"phone":"+593987654321"}'

echo
echo "(c) TypeScript SDK client (@modelcontextprotocol/sdk, StreamableHTTPClientTransport)"
sdk_rc=0
node clients/sdk-client.mjs --demo "$work/demo.json" | tee "$results/sdk-client.txt" || sdk_rc=$?
sdk_line=$(grep -a '^sdk-client:' "$results/sdk-client.txt" | tail -1 || true)
if [ "$sdk_rc" -eq 0 ] && [ -n "$sdk_line" ]; then
  pass "TypeScript SDK: ${sdk_line#sdk-client: }"
else
  fail "TypeScript SDK: exit $sdk_rc (${sdk_line:-no summary})"
fi

echo
echo "(d) TypeScript SDK client against the catalogues of a 60-operation document (clients/sdk-catalogue.mjs)"
cat_rc=0
node clients/sdk-catalogue.mjs --mcp "$gw/big/mcp" --token-file "$work/big.token" --upstream "$bigapi" |
  tee "$results/sdk-catalogue.txt" || cat_rc=$?
cat_line=$(grep -a '^sdk-catalogue:' "$results/sdk-catalogue.txt" | tail -1 || true)
if [ "$cat_rc" -eq 0 ] && [ -n "$cat_line" ]; then
  pass "TypeScript SDK catalogues: ${cat_line#sdk-catalogue: }"
else
  fail "TypeScript SDK catalogues: exit $cat_rc (${cat_line:-no summary})"
fi

if grep -aq '"level":"error"' "$results/demo.log"; then
  echo
  echo "server errors logged during the run:"
  grep -a '"level":"error"' "$results/demo.log" | head -10
fi

echo
echo "MCP clients summary:"
printf '  %s\n' "${summary[@]}"
echo "clients: $((${#summary[@]} - ${#failures[@]})) passed, ${#failures[@]} failed"
[ "${#failures[@]}" -eq 0 ]
