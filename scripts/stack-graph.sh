#!/usr/bin/env bash
# Draws a stack as the engine plans it: every resource the program declares, boxed by the component that owns it,
# with an arrow for each dependency the engine computed (transitive ones dropped, so the picture stays readable).
#   bash scripts/stack-graph.sh STACK OUT.svg
# It previews STACK (with Pulumi.STACK.yaml) as a fresh stack in a throwaway backend, so it needs no hosts and no
# state, and reads parents and dependencies from `pulumi preview --json`. Needs Graphviz (Debian: graphviz).
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 STACK OUT.svg" >&2
  exit 2
fi
stack="$1"
out="$(realpath -m "$2")"
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"
cd "$ONPREM_ROOT"
command -v dot >/dev/null || {
  echo "stack-graph: Graphviz is missing; install it (apt-get install graphviz)" >&2
  exit 1
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PULUMI_BACKEND_URL="file://$work"
pulumi stack init "$stack" --non-interactive >"$work/init.log" 2>&1 || {
  cat "$work/init.log" >&2
  exit 1
}
if ! pulumi preview --stack "$stack" --json --non-interactive >"$work/preview.json"; then
  # With --json the program's errors are in the JSON (diagnostics).
  cat "$work/preview.json" >&2
  exit 1
fi

node - "$work/preview.json" >"$work/graph.dot" <<'JS'
const fs = require("fs");
// Providers are left out: every resource of theirs would point at them.
const steps = JSON.parse(fs.readFileSync(process.argv[2], "utf8")).steps.map((s) => s.newState).filter((s) => !s.type.startsWith("pulumi:providers:"));
const byUrn = new Map(steps.map((s) => [s.urn, s]));
const nameOf = (urn) => urn.split("::").slice(3).join("::");
const shortType = (type) => type.split(/[:/]/).pop();
const quote = (text) => JSON.stringify(text);
// Short node ids keep the SVG small; the URNs would be repeated in every edge.
const id = new Map(steps.map((s, i) => [s.urn, `r${i}`]));
const isComponent = (s) => !s.custom && s.type !== "pulumi:pulumi:Stack";
const parentOf = (s) => (byUrn.has(s.parent) && isComponent(byUrn.get(s.parent)) ? s.parent : "");
const children = new Map();
for (const s of steps) children.set(parentOf(s), [...(children.get(parentOf(s)) ?? []), s]);
const resourcesUnder = (urn) => (children.get(urn) ?? []).flatMap((c) => (c.custom ? [c.urn] : resourcesUnder(c.urn)));
const ancestors = (s) => (parentOf(s) ? [parentOf(s), ...ancestors(byUrn.get(parentOf(s)))] : []);

// A resource's label drops its component's name from its own ("etcd-dev-m1-member" in etcd: "dev-m1-member").
function label(s) {
  const name = nameOf(s.urn);
  const prefix = parentOf(s) && nameOf(parentOf(s));
  const own = prefix && /^[-/]/.test(name.slice(prefix.length)) && name.startsWith(prefix) ? name.slice(prefix.length + 1) : name;
  return `${shortType(s.type)}\n${own}`;
}

const lines = [
  "digraph stack {",
  '  graph [rankdir=LR, compound=true, ranksep=0.6, nodesep=0.15, fontname="Helvetica", fontsize=13, style="rounded", color="#7f8c8d"];',
  '  node [shape=box, style="rounded,filled", fillcolor="#eaf2f8", color="#5d6d7e", fontname="Helvetica", fontsize=10];',
  '  edge [color="#5d6d7e99", arrowsize=0.5];',
];
function emit(parent, indent) {
  for (const s of children.get(parent) ?? []) {
    if (isComponent(s)) {
      lines.push(`${indent}subgraph cluster_${id.get(s.urn)} {`, `${indent}  label=${quote(`${shortType(s.type)} ${nameOf(s.urn)}`)};`);
      emit(s.urn, `${indent}  `);
      lines.push(`${indent}}`);
    } else if (s.custom) {
      lines.push(`${indent}${id.get(s.urn)} [label=${quote(label(s))}];`);
    }
  }
}
emit("", "  ");

// Arrows point from a resource to what it waits for, as in the state. Waiting for a whole component (dependsOn
// a component waits for everything in it) is one arrow to the component's box instead of one to each resource.
const components = steps.filter(isComponent).map((c) => ({ urn: c.urn, resources: resourcesUnder(c.urn) }));
components.sort((a, b) => b.resources.length - a.resources.length);
for (const s of steps.filter((s) => s.custom)) {
  const deps = new Set((s.dependencies ?? []).filter((d) => byUrn.get(d)?.custom));
  for (const c of components) {
    if (c.resources.length < 2 || ancestors(s).includes(c.urn) || !c.resources.every((r) => deps.has(r))) continue;
    c.resources.forEach((r) => deps.delete(r));
    lines.push(`  ${id.get(s.urn)} -> ${id.get(c.resources[0])} [lhead=cluster_${id.get(c.urn)}];`);
  }
  for (const dep of deps) lines.push(`  ${id.get(s.urn)} -> ${id.get(dep)};`);
}
lines.push("}");
console.log(lines.join("\n"));
JS

# tred drops the edges implied by others (a -> c when a -> b -> c), which is most of them.
tred "$work/graph.dot" | dot -Tsvg -o "$out"
echo "stack-graph: wrote $out" >&2
