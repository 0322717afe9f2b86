#!/usr/bin/env bash
# Usage: scripts/build_reader.sh [OUT]  (default OUT: chains/evm/balance_reader.json)
# Rebuild chains/evm/balance_reader.json from chains/evm/BalanceReader.sol with the pinned
# solc-js (package.json: solc 0.8.28). Deterministic: same source + same compiler = same bytes,
# so `scripts/build_reader.sh && git diff --exit-code chains/evm/balance_reader.json` checks the
# committed bytecode against its source.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-chains/evm/balance_reader.json}"
OUT="$OUT" node - <<'JS'
const fs = require("fs");
const solc = require("./node_modules/solc");
const source = fs.readFileSync("chains/evm/BalanceReader.sol", "utf8");
const settings = {
  optimizer: { enabled: true, runs: 1000000 },
  evmVersion: "paris",
  metadata: { bytecodeHash: "none", appendCBOR: false },
  outputSelection: { "*": { "BalanceReader": ["evm.bytecode.object", "evm.deployedBytecode.object"] } },
};
const input = { language: "Solidity", sources: { "BalanceReader.sol": { content: source } }, settings };
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === "error");
if (errors.length) { console.error(errors.map((e) => e.formattedMessage).join("\n")); process.exit(1); }
const c = out.contracts["BalanceReader.sol"].BalanceReader;
const sha = require("crypto").createHash("sha256").update(source).digest("hex");
const result = {
  contract: "BalanceReader",
  source: "chains/evm/BalanceReader.sol",
  source_sha256: sha,
  compiler: "solc-js " + solc.version(),
  settings,
  rebuild: "scripts/build_reader.sh",
  runtime: "0x" + c.evm.deployedBytecode.object,
};
fs.writeFileSync(process.env.OUT, JSON.stringify(result, null, 2) + "\n");
console.log("wrote " + process.env.OUT + " (" + c.evm.deployedBytecode.object.length / 2 + " bytes runtime, " + result.compiler + ")");
JS
