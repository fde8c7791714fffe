import { ContainerPortSpec, ContainerSecurityContextSpec, NodeAffinitySpec, PodSecurityContextSpec, ProbeSpec, ResourceSpec, TolerationSpec } from "./pod";

/** A ConfigMap or Secret whose keys all become environment variables. */
export interface EnvFromSpec {
  /** Name of an existing ConfigMap; give exactly one of `configMap` and `secret`. */
  readonly configMap?: string;
  /** Name of an existing Secret; give exactly one of `configMap` and `secret`. */
  readonly secret?: string;
  /** Prefix added to every variable name. */
  readonly prefix?: string;
}

/**
 * Mounts one file of `configFiles` or `secretFiles` at an exact path, leaving the rest of the directory alone (the
 * nginx `default.conf` style, `subPath`).
 */
export interface ConfigFileMount {
  readonly style: "subPath";
  /** Key of the `files` beside this mount. */
  readonly key: string;
  /** Full path of the file inside the container, e.g. `/etc/nginx/conf.d/default.conf`. */
  readonly mountPath: string;
}

/** Mounts selected files of `configFiles` or `secretFiles` as files of a directory (the `items` style). */
export interface ConfigDirectoryMount {
  readonly style: "items";
  /** Directory inside the container, e.g. `/data/config`. */
  readonly mountPath: string;
  /** Keys to project and the file names they get; file mode in octal, e.g. `0o644`. */
  readonly items: readonly { readonly key: string; readonly path: string; readonly mode?: number }[];
}

/** Config files stored in one ConfigMap and mounted into the container. */
export interface ConfigFilesSpec {
  /** @default `${name}-config` */
  readonly configMapName?: string;
  /** File name (ConfigMap key) to content. Never put secrets here: use `secretFiles` or `secretEnv`. */
  readonly files: Record<string, string>;
  /** Where the files appear in the container. */
  readonly mounts: readonly (ConfigFileMount | ConfigDirectoryMount)[];
}

/**
 * Config files that hold secret values, for an app that reads its passwords from a file: each file is rendered into
 * one Secret (never a ConfigMap) and mounted like `configFiles`. The spec holds only the files' text, with a
 * `${NAME}` where a secret value goes; the values are the component's `secretFileValues` of those names.
 */
export interface SecretFilesSpec {
  /** @default `${name}-secret-files` */
  readonly secretName?: string;
  /**
   * File name (Secret key) to its text. Each `${NAME}` (letters, digits, `_`) is replaced verbatim by the secret
   * value NAME, so quote it as the file's format needs; every other character is kept as written.
   */
  readonly files: Record<string, string>;
  /** Where the files appear in the container. */
  readonly mounts: readonly (ConfigFileMount | ConfigDirectoryMount)[];
}

/** A PersistentVolumeClaim created for the app and mounted into its container. */
export interface PersistentVolumeSpec {
  /** @default `${name}-data` */
  readonly claimName?: string;
  /** StorageClass that provisions the volume, e.g. the Ceph RBD class. */
  readonly storageClassName: string;
  /** Requested size as a quantity, e.g. `8Gi`. */
  readonly size: string;
  /** @default "ReadWriteOnce" */
  readonly accessMode?: "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod";
  /**
   * Directory inside the container. Leave it out to create the claim without mounting it, as seed 003 creates
   * go2cloud-api-pvc and mounts it nowhere.
   */
  readonly mountPath?: string;
}

/** One port of the app's Service. */
export interface ServicePortSpec {
  /** Port the Service listens on (1-65535). */
  readonly port: number;
  /** @default the same as `port` */
  readonly targetPort?: number;
  /** Fixed node port for `type: "NodePort"`, inside `nodePortRange`; omit to let Kubernetes pick. */
  readonly nodePort?: number;
  /** Port name; required by Kubernetes when the Service has more than one port. */
  readonly name?: string;
  /** @default "TCP" */
  readonly protocol?: "TCP" | "UDP";
}

/** The Service in front of the app's pods. */
export interface ServiceSpec {
  /** @default the app name */
  readonly name?: string;
  /** @default "ClusterIP" */
  readonly type?: "ClusterIP" | "NodePort";
  /** @default one port per container port, same number and name */
  readonly ports?: readonly ServicePortSpec[];
}

/** HTTP routing from the edge (Traefik) to the Service. */
export interface IngressSpec {
  /** Host name routed to the app; required for TLS and for a canary. */
  readonly host?: string;
  /** Path prefixes routed to the app. @default ["/"] */
  readonly paths?: readonly string[];
  /** IngressClass to use. @default unset, so the cluster's default IngressClass applies */
  readonly ingressClassName?: string;
  /** Serve HTTPS with the certificate in this Secret (type kubernetes.io/tls). */
  readonly tls?: { readonly secretName: string };
  /** Service port to route to. @default the Service's first port */
  readonly servicePort?: number;
  /**
   * Wait on `up` until the ingress controller publishes the Ingress's address (the provider's await). Turn it off
   * where no controller runs, as on simulated edge nodes. @default true
   */
  readonly awaitAddress?: boolean;
}

/** A HorizontalPodAutoscaler (autoscaling/v2) on CPU utilisation. */
export interface AutoscalingSpec {
  /** @default 1 */
  readonly minReplicas?: number;
  readonly maxReplicas: number;
  /** Target average CPU utilisation in percent of the CPU request (needs `resources.requests.cpu`). */
  readonly targetCpuUtilization: number;
}

/** A PodDisruptionBudget; give exactly one of the two fields. */
export interface PodDisruptionBudgetSpec {
  readonly minAvailable?: number | string;
  readonly maxUnavailable?: number | string;
}

/**
 * A second track of the same app with another image, routed by Traefik (IngressRoute, v3 CRDs)
 * instead of a plain Ingress, so it needs `ingress.host`.
 */
export interface CanarySpec {
  /** Image of the canary track. */
  readonly image: string;
  /** @default 1 */
  readonly replicas?: number;
  /**
   * "header": requests carrying `header: headerValue` go to the canary (priority above the stable
   * route). "weight": `weight` percent of all requests go to the canary (TraefikService).
   */
  readonly routing: "header" | "weight";
  /** @default "X-Canary" */
  readonly header?: string;
  /** @default "true" */
  readonly headerValue?: string;
  /** Percent of traffic for the canary when `routing` is "weight" (0-100). */
  readonly weight?: number;
  /** Traefik entry points of the routes. @default ["websecure"] with TLS, else ["web"] */
  readonly entryPoints?: readonly string[];
}

/** Everything the WebApp chart renders; plain data, no Pulumi types, no secret values. */
export interface WebAppSpec {
  /** App name: Deployment name and `app` label (DNS-1123 label). */
  readonly name: string;
  /** Namespace of every object. @default "default" */
  readonly namespace?: string;
  /** Create the namespace (true) or expect it to exist (false). @default false */
  readonly createNamespace?: boolean;
  /** Container image, e.g. `nginx:1.15.8-alpine`. */
  readonly image: string;
  /** @default unset, so Kubernetes decides (Always for `:latest`, IfNotPresent otherwise) */
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Overrides the image's ENTRYPOINT. @default the image's */
  readonly command?: string[];
  /** Overrides the image's CMD. @default the image's */
  readonly args?: string[];
  /** Plain (non-sensitive) environment variables; sensitive ones go in the component's `secretEnv`. */
  readonly env?: Record<string, string>;
  /** Existing ConfigMaps or Secrets whose keys all become environment variables. */
  readonly envFrom?: readonly EnvFromSpec[];
  /** Ports the container listens on. */
  readonly ports: readonly ContainerPortSpec[];
  /** @default 1 (ignored when `autoscaling` is set: the autoscaler owns the count) */
  readonly replicas?: number;
  /**
   * How an update replaces the pods. "Recreate" stops every old pod before a new one starts: with one replica, the
   * way a ReadWriteOnce claim moves from the old pod to the new one. @default "RollingUpdate"
   */
  readonly strategy?: "RollingUpdate" | "Recreate";
  /** Rolling-update bounds, as counts or percentages; only with the RollingUpdate strategy. @default the Kubernetes default (25% / 25%) */
  readonly rollingUpdate?: { readonly maxSurge?: number | string; readonly maxUnavailable?: number | string };
  /** Requests and limits, copied verbatim. @default none */
  readonly resources?: ResourceSpec;
  /** Container securityContext. @default none (the Kubernetes default: the image's own user) */
  readonly securityContext?: ContainerSecurityContextSpec;
  /** Pod securityContext. @default none */
  readonly podSecurityContext?: PodSecurityContextSpec;
  /** Restarts the container when it fails (http, tcp or exec). @default none */
  readonly livenessProbe?: ProbeSpec;
  /** Keeps the pod out of the Service until it passes. @default none */
  readonly readinessProbe?: ProbeSpec;
  /** Holds the other probes back until a slow start is over. @default none */
  readonly startupProbe?: ProbeSpec;
  /**
   * Seconds a stopping pod keeps serving before its container is signalled (a `preStop` sleep): Services and Traefik
   * stop sending it requests meanwhile, so a drain or a rollout drops none. Within the pod's 30 s grace period.
   * @default none (the container is signalled at once)
   */
  readonly shutdownDelaySeconds?: number;
  /** Config files from a ConfigMap. @default none */
  readonly configFiles?: ConfigFilesSpec;
  /** Config files with secret values, from a Secret. @default none */
  readonly secretFiles?: SecretFilesSpec;
  /** A PVC created for the app, mounted into the container at its `mountPath`. @default none */
  readonly persistentVolume?: PersistentVolumeSpec;
  /** Node labels the pods require, e.g. `{ storage: "ssd" }`. @default none */
  readonly nodeSelector?: Record<string, string>;
  /** Taints the pods tolerate, e.g. a dedicated node group's. @default none */
  readonly tolerations?: readonly TolerationSpec[];
  /** Required and preferred node labels, beyond `nodeSelector`. @default none */
  readonly nodeAffinity?: NodeAffinitySpec;
  /** Names of existing docker-registry Secrets used to pull the image. */
  readonly imagePullSecrets?: readonly string[];
  /** @default a ClusterIP Service named after the app, one port per container port */
  readonly service?: ServiceSpec;
  /** HTTP route from the edge; with `canary` it becomes Traefik IngressRoutes. @default none */
  readonly ingress?: IngressSpec;
  /** HorizontalPodAutoscaler on CPU; it then owns the replica count. @default none */
  readonly autoscaling?: AutoscalingSpec;
  /** PodDisruptionBudget over all the app's pods. @default none */
  readonly podDisruptionBudget?: PodDisruptionBudgetSpec;
  /** A canary track routed by header or weight. @default none */
  readonly canary?: CanarySpec;
}

/** Secret objects the chart declares without data; their values are attached outside the chart. */
export interface WebAppSecretShapes {
  /** Secret holding the sensitive env vars, and the variable names (values never enter the chart). */
  readonly env?: { readonly secretName: string; readonly keys: readonly string[]; readonly exposure: "env" | "envFrom" };
  /** dockerconfigjson Secret used as imagePullSecret. */
  readonly registrySecretName?: string;
}

/** A secret value's place in a `secretFiles` file: `${NAME}`. */
const secretPlaceholder = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The names of the secret values a file's text asks for, in order of first use. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(secretPlaceholder)].map((match) => match[1]))];
}

/** The names of the secret values the app's secret files ask for. */
export function secretFileValueNames(spec: Pick<WebAppSpec, "secretFiles">): string[] {
  return [...new Set(Object.values(spec.secretFiles?.files ?? {}).flatMap(placeholdersOf))];
}

/** A secret file's text with each `${NAME}` replaced by its value; the caller has checked that every name has one. */
export function renderSecretFile(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(secretPlaceholder, (_, name: string) => values[name]);
}

/** Names derived from a spec, shared by the chart, the component's outputs and the tests. */
export function serviceNameOf(spec: WebAppSpec): string {
  return spec.service?.name ?? spec.name;
}

export function secretFilesNameOf(spec: WebAppSpec): string {
  return spec.secretFiles?.secretName ?? `${spec.name}-secret-files`;
}

export function namespaceOf(spec: WebAppSpec): string {
  return spec.namespace ?? "default";
}

/** The Service ports, defaulting to the container ports. */
export function servicePortsOf(spec: WebAppSpec): readonly ServicePortSpec[] {
  return spec.service?.ports ?? spec.ports.map((port) => ({ port: port.containerPort, name: port.name, protocol: port.protocol }));
}
