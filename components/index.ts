export * from "./webapp";
export * from "./traefik-ingress";
export * from "./ceph-storage-class";
export type * from "./charts/webapp-spec";
export type * from "./charts/pod-spec";
export type { TraefikSpec } from "./charts/traefik-chart";
export type { CephRbdSpec } from "./charts/ceph-csi-chart";
export type { NodePortRange } from "./charts/webapp-validation";
