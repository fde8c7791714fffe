import { ResourceSpec } from "./pod";

/** The Traefik image when neither traefik.image nor versions.traefik names one. */
export const TRAEFIK_DEFAULT_IMAGE = "traefik:v3.1";

/**
 * Traefik's `ping` entry point, a host port on every edge node: /ping answers 200 while Traefik serves and 503 once it
 * stops, so the edge VIP's HAProxy takes a stopping Traefik out before it stops accepting requests.
 */
export const TRAEFIK_PING_PORT = 8082;

/** How long a stopping Traefik keeps accepting requests, answering 503 on /ping: longer than HAProxy takes (2 s). */
export const TRAEFIK_ACCEPT_GRACE_SECONDS = 5;

/** Everything the Traefik chart renders; plain data, no Pulumi types, no secret values. */
export interface TraefikSpec {
  /** Namespace of Traefik's own objects. @default "traefik" */
  readonly namespace?: string;
  /** Create the namespace (true) or expect it to exist (false). @default true */
  readonly createNamespace?: boolean;
  /** Traefik v3 image. @default TRAEFIK_DEFAULT_IMAGE */
  readonly image?: string;
  /** Label that marks edge nodes; Traefik runs only there. @default { key: "node-role.kubernetes.io/edge", value: "" } */
  readonly edgeNodeLabel?: { readonly key: string; readonly value: string };
  /** Taint that keeps other pods off edge nodes; Traefik tolerates it. @default { key: "node-role.kubernetes.io/edge", effect: "NoSchedule" } */
  readonly edgeTaint?: { readonly key: string; readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" };
  /**
   * Listen on the node's network (ports 80/443 directly, as root with only NET_BIND_SERVICE)
   * instead of host ports 80/443 mapped to unprivileged container ports. @default false
   */
  readonly hostNetwork?: boolean;
  /**
   * Address Traefik writes into the status of every Ingress it serves (normally the edge VIP), which is what an
   * Ingress's await waits for. @default none: Ingresses get no address
   */
  readonly publishedAddress?: string;
  /** IngressClass served by this Traefik. @default "traefik" */
  readonly ingressClassName?: string;
  /** Make the IngressClass the cluster default. @default false */
  readonly defaultIngressClass?: boolean;
  /** Access log format, written to stdout. @default "common" */
  readonly accessLogFormat?: "common" | "json";
  /** @default "INFO" */
  readonly logLevel?: "DEBUG" | "INFO" | "WARN" | "ERROR";
  /** Port of the internal entry point serving the dashboard. @default 9000 */
  readonly dashboardPort?: number;
  /** Port of the Prometheus metrics entry point. @default 9100 */
  readonly metricsPort?: number;
  /** @default { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } } */
  readonly resources?: ResourceSpec;
}
