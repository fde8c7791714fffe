import { Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-28";

/** API group/version of the Traefik v3 custom resources. */
export const traefikApiVersion = "traefik.io/v1alpha1";

/**
 * Every CRD kind the Traefik v3 Kubernetes CRD provider watches. All must exist, even unused ones:
 * the provider waits for an informer per kind and serves no CRD route until all of them sync.
 */
export const traefikCrdKinds = [
  "IngressRoute",
  "IngressRouteTCP",
  "IngressRouteUDP",
  "Middleware",
  "MiddlewareTCP",
  "ServersTransport",
  "ServersTransportTCP",
  "TLSOption",
  "TLSStore",
  "TraefikService",
] as const;

/**
 * Adds minimal but valid definitions of the Traefik v3 CRDs (group traefik.io, version v1alpha1).
 * Only the top level is typed; `spec` keeps unknown fields, so Traefik's own validation applies.
 * Replace them with the upstream definitions for full server-side schema checks.
 */
export function addTraefikCrds(chart: Chart): void {
  for (const kind of traefikCrdKinds) {
    const plural = `${kind.toLowerCase()}s`;
    new kplus.k8s.KubeCustomResourceDefinition(chart, `crd-${plural}`, {
      metadata: { name: `${plural}.traefik.io` },
      spec: {
        group: "traefik.io",
        names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
        scope: "Namespaced",
        versions: [
          {
            name: "v1alpha1",
            served: true,
            storage: true,
            schema: {
              openApiv3Schema: {
                type: "object",
                required: ["metadata", "spec"],
                properties: {
                  apiVersion: { type: "string" },
                  kind: { type: "string" },
                  metadata: { type: "object" },
                  spec: { type: "object", xKubernetesPreserveUnknownFields: true },
                },
              },
            },
          },
        ],
      },
    });
  }
}
