/** The pod and container settings every workload spec shares; plain data, rendered by components/charts/pod-spec.ts. */
/** CPU and memory amounts in Kubernetes quantity notation, e.g. `{ cpu: "250m", memory: "512Mi" }`. */
export interface ResourceQuantities {
  readonly cpu?: string;
  readonly memory?: string;
  readonly "ephemeral-storage"?: string;
}

/** Container resource requests and limits, copied verbatim into the manifest. */
export interface ResourceSpec {
  readonly requests?: ResourceQuantities;
  readonly limits?: ResourceQuantities;
}

/** A port the container listens on. */
export interface ContainerPortSpec {
  /** Port number inside the container (1-65535). */
  readonly containerPort: number;
  /** IANA-style port name, referenced by Services and probes. */
  readonly name?: string;
  /** @default "TCP" */
  readonly protocol?: "TCP" | "UDP";
  /** Port opened on the node's own address (edge ingress controllers only). */
  readonly hostPort?: number;
}

/** Timing shared by every probe kind; unset fields keep the Kubernetes defaults. */
export interface ProbeTiming {
  /** Seconds after start before the first probe. @default 0 */
  readonly initialDelaySeconds?: number;
  /** Seconds between probes. @default 10 */
  readonly periodSeconds?: number;
  /** Seconds before a probe times out. @default 1 */
  readonly timeoutSeconds?: number;
  /** Consecutive failures that count as failed. @default 3 */
  readonly failureThreshold?: number;
  /** Consecutive successes that count as passed (1 for liveness and startup). @default 1 */
  readonly successThreshold?: number;
}

/** A health check: exactly one of `http`, `tcp` or `exec`. */
export type ProbeSpec = ProbeTiming &
  (
    | { readonly http: { readonly path: string; readonly port: number; readonly scheme?: "HTTP" | "HTTPS" } }
    | { readonly tcp: { readonly port: number } }
    | { readonly exec: { readonly command: string[] } }
  );

/** Container-level securityContext fields, copied verbatim. */
export interface ContainerSecurityContextSpec {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly runAsNonRoot?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly privileged?: boolean;
  readonly capabilities?: { readonly add?: string[]; readonly drop?: string[] };
}

/** Pod-level securityContext fields, copied verbatim. */
export interface PodSecurityContextSpec {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly runAsNonRoot?: boolean;
  readonly fsGroup?: number;
}

/** A toleration of a node taint. */
export interface TolerationSpec {
  /** Taint key; omit together with `operator: "Exists"` to tolerate every taint. */
  readonly key?: string;
  /** @default "Equal" */
  readonly operator?: "Equal" | "Exists";
  readonly value?: string;
  /** Taint effect to tolerate; omit to tolerate all effects. */
  readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  /** For `NoExecute`: how long the pod stays bound after the taint appears. */
  readonly tolerationSeconds?: number;
}

/** One node-label requirement of a node affinity term. */
export interface NodeLabelRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";
  /** Values for In/NotIn, a single integer string for Gt/Lt, none for Exists/DoesNotExist. */
  readonly values?: string[];
}

/** Node affinity: every `required` requirement must hold; `preferred` terms add weight. */
export interface NodeAffinitySpec {
  readonly required?: NodeLabelRequirement[];
  readonly preferred?: { readonly weight: number; readonly match: NodeLabelRequirement[] }[];
}

/** The parts of a container that every workload chart sets the same way. */
export interface ContainerSpec {
  readonly image: string;
  /** @default unset, so Kubernetes decides (Always for `:latest`, IfNotPresent otherwise) */
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  readonly command?: string[];
  readonly args?: string[];
  readonly ports?: readonly ContainerPortSpec[];
  readonly resources?: ResourceSpec;
  readonly securityContext?: ContainerSecurityContextSpec;
  readonly livenessProbe?: ProbeSpec;
  readonly readinessProbe?: ProbeSpec;
  readonly startupProbe?: ProbeSpec;
}
