// A node:test reporter that writes one JSON line per test (not per suite) for the README
// compatibility table: {"test": "<file> > <suite> > … > <name>", "outcome": "passed" | "failed" |
// "skipped", "reason"}. run-js.sh passes it with --test-reporter and turns its output into
// compat/results/js.json with scripts/compat_table.py.

import path from "node:path";

export default async function* resultsReporter(source) {
  // The names of the enclosing suites, per file and nesting level, from test:start events (which
  // arrive in definition order, each before its own pass or fail).
  const stacks = new Map();
  for await (const event of source) {
    const { type, data } = event;
    if (type !== "test:start" && type !== "test:pass" && type !== "test:fail") continue;
    const file = data.file ? path.basename(data.file) : "?";
    let stack = stacks.get(file);
    if (!stack) stacks.set(file, (stack = []));
    if (type === "test:start") {
      stack.length = data.nesting;
      stack.push(data.name);
      continue;
    }
    if (data.details?.type === "suite") continue;
    // A file's own top-level entry (node runs each file as a test named after it) is no test.
    if (data.nesting === 0 && data.file && data.name === data.file) continue;
    const names = [file, ...stack.slice(0, data.nesting), data.name];
    let outcome = type === "test:pass" ? "passed" : "failed";
    if (data.skip !== undefined || data.todo !== undefined) outcome = "skipped";
    const reason = type === "test:fail" ? String(data.details?.error?.cause?.message ?? data.details?.error?.message ?? "failed").split("\n")[0] : null;
    yield JSON.stringify({ test: names.join(" > "), outcome, reason }) + "\n";
  }
}
