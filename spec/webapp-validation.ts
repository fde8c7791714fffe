import { checkDnsLabel, checkDnsSubdomain, checkImageReference, checkLabelKey, checkLabelValue, checkPort } from "./names";
import { ProbeSpec } from "./pod";
import { ConfigDirectoryMount, ConfigFileMount, servicePortsOf, WebAppSpec } from "./webapp";

/** Node ports the API server accepts (its `--service-node-port-range`). */
export interface NodePortRange {
  readonly min: number;
  readonly max: number;
}

export const defaultNodePortRange: NodePortRange = { min: 30000, max: 32767 };

const envVarName = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkCount(field: string, count: number | undefined): string | undefined {
  if (count === undefined || (Number.isInteger(count) && count >= 0)) return undefined;
  return count < 0 ? `${field}: ${count} is negative; use 0 or more.` : `${field}: ${count} is not a whole number; use an integer of 0 or more.`;
}

function probeProblems(field: string, probe: ProbeSpec | undefined): (string | undefined)[] {
  if (!probe) return [];
  if ("http" in probe) return [checkPort(`${field}.http.port`, probe.http.port)];
  if ("tcp" in probe) return [checkPort(`${field}.tcp.port`, probe.tcp.port)];
  return [probe.exec.command.length === 0 ? `${field}.exec.command: empty; give the command to run.` : undefined];
}

function nameProblems(spec: WebAppSpec): (string | undefined)[] {
  return [
    checkDnsLabel("name", spec.name),
    spec.namespace === undefined ? undefined : checkDnsLabel("namespace", spec.namespace),
    spec.service?.name === undefined ? undefined : checkDnsLabel("service.name", spec.service.name),
    spec.configFiles?.configMapName === undefined ? undefined : checkDnsSubdomain("configFiles.configMapName", spec.configFiles.configMapName),
    spec.secretFiles?.secretName === undefined ? undefined : checkDnsSubdomain("secretFiles.secretName", spec.secretFiles.secretName),
    spec.persistentVolume?.claimName === undefined ? undefined : checkDnsSubdomain("persistentVolume.claimName", spec.persistentVolume.claimName),
    spec.ingress?.tls === undefined ? undefined : checkDnsSubdomain("ingress.tls.secretName", spec.ingress.tls.secretName),
    ...(spec.imagePullSecrets ?? []).map((name, i) => checkDnsSubdomain(`imagePullSecrets[${i}]`, name)),
    checkImageReference("image", spec.image),
    spec.canary === undefined ? undefined : checkImageReference("canary.image", spec.canary.image),
    ...Object.entries(spec.nodeSelector ?? {}).flatMap(([key, value]) => [checkLabelKey(`nodeSelector.${key}`, key), checkLabelValue(`nodeSelector.${key}`, value)]),
  ];
}

function portProblems(spec: WebAppSpec, range: NodePortRange): (string | undefined)[] {
  const problems: (string | undefined)[] = [];
  if (spec.ports.length === 0) problems.push("ports: empty; give at least one container port.");
  spec.ports.forEach((port, i) => {
    problems.push(checkPort(`ports[${i}].containerPort`, port.containerPort));
    if (port.hostPort !== undefined) problems.push(checkPort(`ports[${i}].hostPort`, port.hostPort));
  });
  const isNodePort = spec.service?.type === "NodePort";
  (spec.service?.ports ?? []).forEach((port, i) => {
    const field = `service.ports[${i}]`;
    problems.push(checkPort(`${field}.port`, port.port));
    if (port.targetPort !== undefined) problems.push(checkPort(`${field}.targetPort`, port.targetPort));
    if (port.nodePort === undefined) return;
    if (!isNodePort) {
      problems.push(`${field}.nodePort: set, but service.type is not "NodePort"; set service.type to "NodePort" or drop nodePort.`);
    } else if (!Number.isInteger(port.nodePort) || port.nodePort < range.min || port.nodePort > range.max) {
      problems.push(`${field}.nodePort: ${port.nodePort} is outside the node port range ${range.min}-${range.max}; ` + `use a port in that range or change nodePortRange to match the API server.`);
    }
  });
  if (spec.ingress?.servicePort !== undefined && !servicePortsOf(spec).some((p) => p.port === spec.ingress!.servicePort)) {
    problems.push(`ingress.servicePort: ${spec.ingress.servicePort} is not a port of the Service; use one of service.ports.`);
  }
  problems.push(...probeProblems("livenessProbe", spec.livenessProbe), ...probeProblems("readinessProbe", spec.readinessProbe), ...probeProblems("startupProbe", spec.startupProbe));
  return problems;
}

/** Each mount of `configFiles` or `secretFiles` (FIELD) must name one of its files. */
function mountProblems(field: string, files: { readonly files: Record<string, string>; readonly mounts: readonly (ConfigFileMount | ConfigDirectoryMount)[] } | undefined): (string | undefined)[] {
  if (!files) return [];
  const missing = (at: string, key: string) => (key in files.files ? undefined : `${at}: "${key}" is not a key of ${field}.files; add the file or fix the key.`);
  return files.mounts.flatMap((mount, i) =>
    mount.style === "subPath" ? [missing(`${field}.mounts[${i}].key`, mount.key)] : mount.items.map((item, j) => missing(`${field}.mounts[${i}].items[${j}].key`, item.key)),
  );
}

function configProblems(spec: WebAppSpec): (string | undefined)[] {
  return [...mountProblems("configFiles", spec.configFiles), ...mountProblems("secretFiles", spec.secretFiles)];
}

/** Why more than one pod of the app may run at once, each a phrase; none when one pod at most ever runs. */
function podCountReasons(spec: WebAppSpec): string[] {
  const reasons: string[] = [];
  if (spec.autoscaling) {
    if (spec.autoscaling.maxReplicas > 1) reasons.push(`autoscaling.maxReplicas is ${spec.autoscaling.maxReplicas}`);
  } else if ((spec.replicas ?? 1) > 1) {
    reasons.push(`replicas is ${spec.replicas}`);
  }
  if (spec.canary) reasons.push("its canary mounts the claim too");
  // Without a surge the old pod is gone before its successor starts; Kubernetes' default surge is 25%, at least one pod.
  const surge = spec.rollingUpdate?.maxSurge;
  if (spec.strategy !== "Recreate" && surge !== 0 && surge !== "0%") reasons.push("a rolling update starts the new pod beside the old one");
  return reasons;
}

/**
 * A ReadWriteOnce volume (an RBD image) attaches to one node at a time, a ReadWriteOncePod one to one pod: a second
 * pod elsewhere waits forever on a Multi-Attach error, which no dry run shows.
 */
function claimProblems(spec: WebAppSpec): (string | undefined)[] {
  const claim = spec.persistentVolume;
  const mode = claim?.accessMode ?? "ReadWriteOnce";
  if (!claim?.mountPath || (mode !== "ReadWriteOnce" && mode !== "ReadWriteOncePod")) return [];
  const reasons = podCountReasons(spec);
  if (reasons.length === 0) return [];
  const name = claim.claimName ?? `${spec.name}-data`;
  const conflict =
    mode === "ReadWriteOnce" ? "attaches to one node at a time, and a pod on another node fails with a Multi-Attach error" : "serves one pod at a time, and another pod is never scheduled";
  return [
    `persistentVolume: ${spec.name} can run more than one pod (${reasons.join("; ")}), but its ${mode} claim ${name} ${conflict}; ` +
      `use strategy "Recreate" with replicas 1 and no autoscaling or canary, a StatefulSet with a claim per pod instead of this app, ` +
      `or a ReadWriteMany class such as CephFS (accessMode "ReadWriteMany").`,
  ];
}

function routingProblems(spec: WebAppSpec): (string | undefined)[] {
  const problems: (string | undefined)[] = [];
  if (spec.ingress?.tls && !spec.ingress.host) {
    problems.push("ingress.tls: TLS needs a host name; set ingress.host to the name on the certificate.");
  }
  const canary = spec.canary;
  if (canary) {
    problems.push(checkCount("canary.replicas", canary.replicas));
    if (!spec.ingress?.host) problems.push("canary: routing a canary needs ingress.host; set ingress.host.");
    if (canary.routing === "weight" && (canary.weight === undefined || !(canary.weight >= 0 && canary.weight <= 100))) {
      problems.push(`canary.weight: ${canary.weight} is not a percentage; use a number from 0 to 100.`);
    }
  }
  return problems;
}

function workloadProblems(spec: WebAppSpec): (string | undefined)[] {
  const problems: (string | undefined)[] = [checkCount("replicas", spec.replicas)];
  const delay = spec.shutdownDelaySeconds;
  if (delay !== undefined && !(Number.isInteger(delay) && delay >= 1 && delay <= 25)) {
    problems.push(`shutdownDelaySeconds: ${delay} is not a whole number of seconds from 1 to 25; the pod's 30 s grace period must leave time to stop.`);
  }
  if (spec.strategy === "Recreate" && spec.rollingUpdate) {
    problems.push('rollingUpdate: set, but strategy is "Recreate"; drop rollingUpdate or use strategy "RollingUpdate".');
  }
  (spec.envFrom ?? []).forEach((source, i) => {
    if ((source.configMap === undefined) === (source.secret === undefined)) {
      problems.push(`envFrom[${i}]: give exactly one of configMap and secret.`);
    }
  });
  for (const name of Object.keys(spec.env ?? {})) {
    if (!envVarName.test(name)) problems.push(`env.${name}: not a valid variable name; use letters, digits and '_'.`);
  }
  const scaling = spec.autoscaling;
  if (scaling) {
    const min = scaling.minReplicas ?? 1;
    if (!(Number.isInteger(min) && min >= 1 && scaling.maxReplicas >= min)) {
      problems.push(`autoscaling: needs 1 <= minReplicas <= maxReplicas (got ${min} and ${scaling.maxReplicas}).`);
    }
    if (!spec.resources?.requests?.cpu) {
      problems.push("autoscaling: a CPU target needs resources.requests.cpu; set it.");
    }
  }
  const budget = spec.podDisruptionBudget;
  if (budget && (budget.minAvailable === undefined) === (budget.maxUnavailable === undefined)) {
    problems.push("podDisruptionBudget: give exactly one of minAvailable and maxUnavailable.");
  }
  return problems;
}

/** Every problem of a WebApp spec, one line each, naming the field and the fix. */
export function webAppSpecProblems(spec: WebAppSpec, nodePortRange: NodePortRange = defaultNodePortRange): string[] {
  return [...nameProblems(spec), ...portProblems(spec, nodePortRange), ...configProblems(spec), ...routingProblems(spec), ...workloadProblems(spec), ...claimProblems(spec)].filter(
    (problem): problem is string => problem !== undefined,
  );
}

/** Checks names of sensitive env vars, whose values live outside the spec. */
export function secretEnvNameProblems(names: readonly string[]): string[] {
  return names.filter((name) => !envVarName.test(name)).map((name) => `secretEnv.${name}: not a valid variable name; use letters, digits and '_'.`);
}
