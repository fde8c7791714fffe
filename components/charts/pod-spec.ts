import { ApiObject, Duration, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { ContainerSpec, NodeAffinitySpec, NodeLabelRequirement, PodSecurityContextSpec, ProbeSpec, ResourceQuantities, ResourceSpec, TolerationSpec } from "../../spec/pod";

/** Extra container wiring that depends on objects of the chart (env sources, mounts). */
export interface ContainerWiring {
  readonly envVariables?: Record<string, kplus.EnvValue>;
  readonly envFrom?: kplus.EnvFrom[];
  readonly volumeMounts?: kplus.VolumeMount[];
}

function toProbe(probe: ProbeSpec | undefined): kplus.Probe | undefined {
  if (!probe) return undefined;
  const seconds = (value?: number) => (value === undefined ? undefined : Duration.seconds(value));
  const timing = {
    initialDelaySeconds: seconds(probe.initialDelaySeconds),
    periodSeconds: seconds(probe.periodSeconds),
    timeoutSeconds: seconds(probe.timeoutSeconds),
    failureThreshold: probe.failureThreshold,
    successThreshold: probe.successThreshold,
  };
  if ("http" in probe) {
    const scheme = probe.http.scheme === "HTTPS" ? kplus.ConnectionScheme.HTTPS : kplus.ConnectionScheme.HTTP;
    return kplus.Probe.fromHttpGet(probe.http.path, { ...timing, port: probe.http.port, scheme });
  }
  if ("tcp" in probe) return kplus.Probe.fromTcpSocket({ ...timing, port: probe.tcp.port });
  return kplus.Probe.fromCommand(probe.exec.command, timing);
}

/**
 * Converts a container spec into cdk8s-plus props. Ports go through `ports` (not `portNumber`)
 * because `portNumber` makes cdk8s-plus add a TCP startup probe nobody asked for, and resources
 * are left empty here so that `pinPodTemplate` can copy the user's quantities verbatim.
 */
export function toContainerProps(name: string, spec: ContainerSpec, wiring: ContainerWiring = {}): kplus.ContainerProps {
  return {
    name,
    image: spec.image,
    command: spec.command,
    args: spec.args,
    ports: (spec.ports ?? []).map((port) => ({
      number: port.containerPort,
      name: port.name,
      protocol: port.protocol === "UDP" ? kplus.Protocol.UDP : undefined,
      hostPort: port.hostPort,
    })),
    resources: {},
    liveness: toProbe(spec.livenessProbe),
    readiness: toProbe(spec.readinessProbe),
    startup: toProbe(spec.startupProbe),
    envVariables: wiring.envVariables,
    envFrom: wiring.envFrom,
    volumeMounts: wiring.volumeMounts,
  };
}

/**
 * The cdk8s-plus workloads re-render patched JSON through their typed converters, which read
 * quantities as `Quantity` objects: patch values for quantity fields must be wrapped the same way.
 */
function toQuantities(resources: ResourceSpec): object {
  const wrap = (amounts?: ResourceQuantities) => amounts && Object.fromEntries(Object.entries(amounts).map(([name, amount]) => [name, kplus.k8s.Quantity.fromString(amount)]));
  return { requests: wrap(resources.requests), limits: wrap(resources.limits) };
}

/** Pod-level settings that cdk8s-plus either cannot express or would default differently. */
export interface PodOverrides {
  readonly containers: readonly ContainerSpec[];
  readonly podSecurityContext?: PodSecurityContextSpec;
  readonly nodeSelector?: Record<string, string>;
  /** Names of docker-registry Secrets; cdk8s-plus supports only one. */
  readonly imagePullSecrets?: readonly string[];
  /** @default unset, so the Kubernetes default (mount the token) applies */
  readonly automountServiceAccountToken?: boolean;
}

/**
 * Replaces cdk8s-plus's hidden pod defaults with exactly what the spec says: no forced
 * non-root securityContext (nginx and redis images must run as root and write their fs),
 * no forced `imagePullPolicy: Always`, no invented resources, no `automountServiceAccountToken:
 * false`, and no construct-address label on the pods. Applied as JSON patches after synthesis.
 */
export function pinPodTemplate(workload: kplus.Deployment | kplus.DaemonSet, overrides: PodOverrides): void {
  const pod = "/spec/template/spec";
  const patches: JsonPatch[] = [JsonPatch.remove("/spec/template/metadata/labels/cdk8s.io~1metadata.addr")];
  overrides.containers.forEach((container, index) => {
    const path = `${pod}/containers/${index}`;
    patches.push(
      container.imagePullPolicy ? JsonPatch.replace(`${path}/imagePullPolicy`, container.imagePullPolicy) : JsonPatch.remove(`${path}/imagePullPolicy`),
      container.securityContext ? JsonPatch.replace(`${path}/securityContext`, container.securityContext) : JsonPatch.remove(`${path}/securityContext`),
    );
    if (container.resources) patches.push(JsonPatch.add(`${path}/resources`, toQuantities(container.resources)));
  });
  patches.push(
    overrides.podSecurityContext ? JsonPatch.replace(`${pod}/securityContext`, overrides.podSecurityContext) : JsonPatch.remove(`${pod}/securityContext`),
    overrides.automountServiceAccountToken === undefined
      ? JsonPatch.remove(`${pod}/automountServiceAccountToken`)
      : JsonPatch.replace(`${pod}/automountServiceAccountToken`, overrides.automountServiceAccountToken),
  );
  if (overrides.nodeSelector && Object.keys(overrides.nodeSelector).length > 0) {
    patches.push(JsonPatch.add(`${pod}/nodeSelector`, overrides.nodeSelector));
  }
  if (overrides.imagePullSecrets?.length) {
    patches.push(
      JsonPatch.add(
        `${pod}/imagePullSecrets`,
        overrides.imagePullSecrets.map((name) => ({ name })),
      ),
    );
  }
  ApiObject.of(workload).addJsonPatch(...patches);
}

function toLabelQuery(requirement: NodeLabelRequirement): kplus.NodeLabelQuery {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case "In":
      return kplus.NodeLabelQuery.in(requirement.key, values);
    case "NotIn":
      return kplus.NodeLabelQuery.notIn(requirement.key, values);
    case "Exists":
      return kplus.NodeLabelQuery.exists(requirement.key);
    case "DoesNotExist":
      return kplus.NodeLabelQuery.doesNotExist(requirement.key);
    case "Gt":
      return kplus.NodeLabelQuery.gt(requirement.key, values);
    case "Lt":
      return kplus.NodeLabelQuery.lt(requirement.key, values);
  }
}

function toTaintQuery(toleration: TolerationSpec): kplus.NodeTaintQuery {
  const options = {
    effect: toleration.effect as kplus.TaintEffect | undefined,
    evictAfter: toleration.tolerationSeconds === undefined ? undefined : Duration.seconds(toleration.tolerationSeconds),
  };
  if (toleration.key === undefined) return kplus.NodeTaintQuery.any();
  if (toleration.operator === "Exists") return kplus.NodeTaintQuery.exists(toleration.key, options);
  return kplus.NodeTaintQuery.is(toleration.key, toleration.value ?? "", options);
}

/** Applies tolerations and node affinity through cdk8s-plus's scheduling API. */
export function schedule(workload: kplus.Deployment | kplus.DaemonSet, tolerations: readonly TolerationSpec[] = [], affinity: NodeAffinitySpec = {}): void {
  for (const toleration of tolerations) workload.scheduling.tolerate(kplus.Node.tainted(toTaintQuery(toleration)));
  if (affinity.required?.length) {
    workload.scheduling.attract(kplus.Node.labeled(...affinity.required.map(toLabelQuery)));
  }
  for (const term of affinity.preferred ?? []) {
    workload.scheduling.attract(kplus.Node.labeled(...term.match.map(toLabelQuery)), { weight: term.weight });
  }
}
