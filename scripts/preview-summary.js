#!/usr/bin/env node
// @ts-check
/**
 * Turns `pulumi preview --json` (a file argument or stdin) into a Markdown summary for a pull request:
 * the changes counted per component and per operation, the risky ones, and, given the stack's state
 * (`pulumi stack export`, a second file argument or `-` for stdin), when its certificates expire (docs/pull-requests.md).
 * Plain JavaScript so that CI runs it with node alone, without a build step.
 *
 * The preview lists every changed resource but, of the unchanged ones, only the stack: so components
 * come from URNs, whose type chain names every ancestor's type and whose parent URN names the parent.
 */
"use strict";
const fs = require("fs");

/** @typedef {{ type: string, custom?: boolean, parent?: string, inputs?: Record<string, unknown> }} State */
/** @typedef {{ op: string, urn: string, oldState?: State, newState?: State }} Step */
/** @typedef {{ severity?: string, message?: string }} Diagnostic */
/** @typedef {{ config?: Record<string, string>, steps?: Step[], changeSummary?: Record<string, number>, diagnostics?: Diagnostic[] }} Preview */
/** @typedef {{ urn: string, type: string, outputs?: { validityEndTime?: string } }} StateResource */
/** @typedef {{ deployment?: { resources?: StateResource[] } }} StackState the stack's state, as `pulumi stack export` writes it */

const STACK_TYPE = "pulumi:pulumi:Stack";
const OPS = ["create", "update", "replace", "delete"];
const ETCD = "onprem-k8s:index:EtcdCluster";
const HOST_STEP = "command:remote:Command";
const LOAD_BALANCER = "onprem-k8s:index:LoadBalancerPair";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";
const CERTIFICATE = /^tls:index\/(privateKey|selfSignedCert|locallySignedCert):/;
const ISSUED = /^tls:index\/(selfSignedCert|locallySignedCert):/;
const CA = /^tls:index\/selfSignedCert:/;
const DAY_MS = 86_400_000;

/**
 * `urn:pulumi:STACK::PROJECT::T1$T2$TYPE::NAME` → stack, types (outermost ancestor first), own type, name.
 * @param {string} urn
 */
function parseUrn(urn) {
  const [prefix, , qualifiedType, ...name] = urn.split("::");
  const types = qualifiedType.split("$");
  return { stack: prefix.replace(/^urn:pulumi:/, ""), types, type: types[types.length - 1], name: name.join("::") };
}

/** "onprem-k8s:index:EtcdCluster" → "EtcdCluster", "kubernetes:core/v1:Service" → "Service". @param {string} type */
function shortType(type) {
  return type.split(/[:/]/).pop() ?? type;
}

/** @param {Step} step */
function stateOf(step) {
  return /** @type {State} */ (step.newState ?? step.oldState ?? { type: parseUrn(step.urn).type });
}

/** "EtcdCluster › HostArtifact `etcd-dev-m1-etcd`": a component by its type chain and name. @param {string} urn */
function componentLabel(urn) {
  const { types, name } = parseUrn(urn);
  return `${types.map(shortType).join(" › ")} \`${name}\``;
}

/** The row a step is counted in: its parent component; a top-level component counts in its own row. @param {Step} step */
function groupOf(step) {
  const state = stateOf(step);
  if (state.parent && parseUrn(state.parent).type !== STACK_TYPE) return componentLabel(state.parent);
  return !state.custom && state.type !== STACK_TYPE ? componentLabel(step.urn) : "(stack)";
}

/** Old and new values (as JSON) of the inputs a step changes; for a delete, every old input. @param {Step} step */
function changedValues(step) {
  const oldInputs = step.oldState?.inputs ?? {};
  const newInputs = step.newState?.inputs ?? {};
  if (step.op === "delete") return Object.values(oldInputs).map((v) => JSON.stringify(v));
  return [...new Set([...Object.keys(oldInputs), ...Object.keys(newInputs)])]
    .filter((k) => JSON.stringify(oldInputs[k]) !== JSON.stringify(newInputs[k]))
    .flatMap((k) => [JSON.stringify(oldInputs[k] ?? null), JSON.stringify(newInputs[k] ?? null)]);
}

/** @param {Preview} preview @returns {RegExp[]} the stack's VIPs, as patterns that match whole addresses */
function vipPatterns(preview) {
  /** @type {{ vip?: string }[]} */
  const loadBalancers = JSON.parse(preview.config?.["onprem-k8s:loadBalancers"] ?? "[]");
  return loadBalancers.filter((lb) => lb.vip).map((lb) => new RegExp(`(^|[^0-9.])${String(lb.vip).replace(/\./g, "\\.")}([^0-9]|$)`));
}

/**
 * The risks of a preview, each with why it matters and the steps concerned. Creating is never a risk:
 * nothing runs yet that it could disturb.
 * @param {Preview} preview
 */
function risks(preview) {
  const changing = (preview.steps ?? []).filter((s) => OPS.includes(s.op) && s.op !== "create");
  const removing = changing.filter((s) => s.op !== "update");
  const under = (/** @type {Step} */ step, /** @type {string} */ componentType) => parseUrn(step.urn).types.slice(0, -1).includes(componentType);
  const named = (/** @type {Step} */ step, /** @type {RegExp} */ pattern) => pattern.test(parseUrn(step.urn).name);
  const isMember = (/** @type {Step} */ s) => under(s, ETCD) && stateOf(s).type === HOST_STEP && named(s, /-member$/);
  const isMaster = (/** @type {Step} */ s) => stateOf(s).type === HOST_STEP && named(s, /-master$/);
  const isLbStep = (/** @type {Step} */ s) => under(s, LOAD_BALANCER) && !!stateOf(s).custom;
  const restarting = (/** @type {(s: Step) => boolean} */ is) => {
    const steps = changing.filter((s) => s.op !== "delete" && is(s));
    return steps.length > 1 ? steps : [];
  };
  const rolling =
    "are chained, so they restart one at a time and each waits until it is healthy again; still, the cluster runs one short several times over, and one that fails its health check stops the rollout halfway.";
  const vips = vipPatterns(preview);

  return [
    {
      title: "etcd member replaced or deleted",
      why: "Its delete step stops etcd and removes the member's data on that host; the member has to join the cluster again.",
      steps: removing.filter(isMember),
    },
    {
      title: "more than one etcd member restarts",
      why: `The member steps ${rolling}`,
      steps: restarting(isMember),
    },
    {
      title: "master replaced or deleted",
      why: "Its delete step stops the apiserver, controller-manager and scheduler on that host; the master is set up again from scratch.",
      steps: removing.filter(isMaster),
    },
    {
      title: "more than one master restarts",
      why: `The master steps ${rolling}`,
      steps: restarting(isMaster),
    },
    {
      title: "load balancer step replaced or deleted",
      why: "HAProxy and keepalived stop on that host, and its VIP fails over to another load balancer host or goes away.",
      steps: removing.filter(isLbStep),
    },
    {
      title: "PersistentVolumeClaim replaced or deleted",
      why: "The claim's volume, and the data on it, may be deleted, depending on the StorageClass's reclaim policy.",
      steps: removing.filter((s) => stateOf(s).type === PVC),
    },
    {
      title: "certificates rotate",
      why: "New keys or certificates are issued; the services using them restart with the new ones, and clients that hold the old ones need the new ones.",
      steps: removing.filter((s) => s.op === "replace" && CERTIFICATE.test(stateOf(s).type)),
    },
    {
      title: "a VIP is touched",
      why: "A load balancer's configuration changes, or a change mentions a VIP address: clients of the VIP may see it fail over or go away.",
      steps: changing.filter((s) => (isLbStep(s) && named(s, /-config$/)) || changedValues(s).some((v) => vips.some((p) => p.test(v)))),
    },
  ].filter((risk) => risk.steps.length > 0);
}

/**
 * When the deployed certificates expire (from the stack's state), the ones this change issues, and a warning for each
 * that expires within pki.expiryWarningDays and that this change does not re-issue.
 * @param {Preview} preview @param {StackState | undefined} state @param {Date} now @returns {string[]}
 */
function certificateLines(preview, state, now) {
  const stack = preview.steps?.length ? parseUrn(preview.steps[0].urn).stack : "STACK";
  if (!state) {
    return [`Not known: pass the stack's state as well, \`pulumi stack export --stack ${stack} | node scripts/preview-summary.js preview.json -\`.`];
  }
  /** @type {{ expiryWarningDays?: number }} */
  const pki = JSON.parse(preview.config?.["onprem-k8s:pki"] ?? "{}");
  const warningDays = pki.expiryWarningDays ?? 30;
  const reissued = new Map((preview.steps ?? []).filter((s) => s.op === "replace" || s.op === "delete").map((s) => [s.urn, s.op]));
  const created = (preview.steps ?? []).filter((s) => s.op === "create" && ISSUED.test(stateOf(s).type)).length;
  const deployed = (state.deployment?.resources ?? [])
    .filter((r) => ISSUED.test(r.type) && r.outputs?.validityEndTime)
    .map((r) => {
      const notAfter = String(r.outputs?.validityEndTime);
      return { urn: r.urn, name: parseUrn(r.urn).name, ca: CA.test(r.type), notAfter, days: Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS) };
    })
    .sort((a, b) => a.days - b.days || a.name.localeCompare(b.name));
  const issuing = created > 0 ? ` This change issues ${created} new.` : "";
  if (deployed.length === 0) return [`None deployed yet.${issuing}`];
  const date = (/** @type {string} */ iso) => iso.slice(0, 10);
  const first = deployed[0];
  const lines = [`${deployed.length} deployed; the first to expire is \`${first.name}\` on ${date(first.notAfter)} (in ${first.days} days).${issuing}`];
  const expiring = deployed.filter((c) => c.days < warningDays && !reissued.has(c.urn));
  if (expiring.length === 0) lines.push(`None expires within ${warningDays} days (pki.expiryWarningDays) without this change re-issuing it.`);
  for (const c of expiring) {
    const fix = c.ca ? "a CA is re-issued only by `pulumi up --replace` of it" : "the next `pulumi up` re-issues it";
    lines.push(`- :warning: **\`${c.name}\` expires ${date(c.notAfter)}** (in ${c.days} days, within pki.expiryWarningDays ${warningDays}): ${fix}.`);
  }
  lines.push("", `<details><summary>${deployed.length} certificates</summary>`, "", "| certificate | expires | in days | this change |", "|---|---|--:|---|");
  for (const c of deployed) {
    lines.push(`| \`${c.name}\`${c.ca ? " (CA)" : ""} | ${c.notAfter} | ${c.days} | ${reissued.has(c.urn) ? reissued.get(c.urn) : ""} |`);
  }
  lines.push("", "</details>");
  return lines;
}

/**
 * @param {Preview} preview
 * @param {StackState} [state] the stack's state (`pulumi stack export`), for the certificates' expiry
 * @param {Date} [now]
 * @returns {string} the Markdown summary
 */
function summarize(preview, state, now = new Date()) {
  const steps = preview.steps ?? [];
  const changes = steps.filter((s) => s.op !== "same");
  const stack = steps.length > 0 ? parseUrn(steps[0].urn).stack : "?";
  const ops = [...OPS, ...new Set(changes.map((s) => s.op).filter((op) => !OPS.includes(op)))];

  /** @type {Map<string, Record<string, number>>} */
  const rows = new Map();
  /** @type {Record<string, number>} */
  const total = {};
  for (const step of changes) {
    const row = rows.get(groupOf(step)) ?? {};
    rows.set(groupOf(step), row);
    row[step.op] = (row[step.op] ?? 0) + 1;
    total[step.op] = (total[step.op] ?? 0) + 1;
  }
  const summary = preview.changeSummary ?? total;
  const headline = [...ops.filter((op) => summary[op]).map((op) => `${summary[op]} to ${op}`), ...(summary.same ? [`${summary.same} unchanged`] : [])];
  const cells = (/** @type {Record<string, number>} */ row, /** @type {boolean} */ bold) => ops.map((op) => (row[op] ? (bold ? `**${row[op]}**` : String(row[op])) : "")).join(" | ");
  const groups = [...rows.keys()].sort((a, b) => Number(a === "(stack)") - Number(b === "(stack)") || a.localeCompare(b));

  // A failed preview planned only part of the stack: its counts and risks would mislead, so only the errors show.
  const errors = (preview.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => (d.message ?? "").trim());
  if (errors.length > 0) {
    return [`### Preview of \`${stack}\`: failed`, "", "```text", ...errors, "```", ""].join("\n");
  }

  const lines = [`### Preview of \`${stack}\`: ${headline.join(", ") || "no changes"}`, ""];
  if (changes.length > 0) {
    lines.push(`| component | ${ops.join(" | ")} |`, `|---|${ops.map(() => "--:").join("|")}|`);
    lines.push(...groups.map((g) => `| ${g} | ${cells(rows.get(g) ?? {}, false)} |`), `| **total** | ${cells(total, true)} |`, "");
  }
  lines.push("#### Risk", "");
  const found = risks(preview);
  if (found.length === 0) {
    lines.push("None found: no etcd member, master, load balancer step or PVC is replaced or deleted, at most one etcd member and one master restart, no certificate rotates and no VIP is touched.");
  }
  for (const risk of found) {
    const names = risk.steps.map((s) => `\`${parseUrn(s.urn).name}\` (${s.op})`);
    lines.push(`- :warning: **${risk.title}**: ${names.join(", ")}.  `, `  ${risk.why}`);
  }
  lines.push("", "#### Certificates", "", ...certificateLines(preview, state, now));
  if (changes.length > 0) {
    lines.push("", `<details><summary>${changes.length} changes</summary>`, "", "| operation | resource | type | component |", "|---|---|---|---|");
    for (const step of changes) {
      const { name, type } = parseUrn(step.urn);
      lines.push(`| ${step.op} | \`${name}\` | \`${type}\` | ${groupOf(step)} |`);
    }
    lines.push("", "</details>");
  }
  return lines.join("\n") + "\n";
}

module.exports = { summarize };

if (require.main === module) {
  const [previewFile, stateFile] = process.argv.slice(2);
  const read = (/** @type {string | undefined} */ file) => JSON.parse(fs.readFileSync(file === undefined || file === "-" ? 0 : file, "utf8"));
  process.stdout.write(summarize(read(previewFile), stateFile === undefined ? undefined : read(stateFile)));
}
