import { ApiObject, Chart } from "cdk8s";
import { traefikApiVersion } from "./traefik-crds";
import { namespaceOf, servicePortsOf, WebAppSpec } from "../../spec/webapp";

/** Priorities make the header route win over the plain route for the same host and paths. */
const stablePriority = 10;
const canaryPriority = 20;

function matchRule(host: string, paths: readonly string[]): string {
  const prefixes = paths.map((path) => `PathPrefix(\`${path}\`)`);
  const pathRule = prefixes.length === 1 ? prefixes[0] : `(${prefixes.join(" || ")})`;
  return `Host(\`${host}\`) && ${pathRule}`;
}

/**
 * Routes the stable and canary Services through Traefik instead of a plain Ingress: by header
 * (an IngressRoute with a higher-priority `Header()` route, as the ops team's testers use) or by
 * weight (a weighted TraefikService behind one route).
 */
export function addCanaryRoutes(chart: Chart, spec: WebAppSpec, stableService: string, canaryService: string): void {
  const canary = spec.canary!;
  const ingress = spec.ingress!;
  const namespace = namespaceOf(spec);
  const port = ingress.servicePort ?? servicePortsOf(spec)[0].port;
  const rule = matchRule(ingress.host!, ingress.paths ?? ["/"]);
  const weightedName = `${spec.name}-weighted`;

  let routes: object[];
  if (canary.routing === "header") {
    const header = `Header(\`${canary.header ?? "X-Canary"}\`, \`${canary.headerValue ?? "true"}\`)`;
    routes = [
      { kind: "Rule", match: `${rule} && ${header}`, priority: canaryPriority, services: [{ name: canaryService, port }] },
      { kind: "Rule", match: rule, priority: stablePriority, services: [{ name: stableService, port }] },
    ];
  } else {
    const weight = canary.weight ?? 0;
    new ApiObject(chart, "weighted", {
      apiVersion: traefikApiVersion,
      kind: "TraefikService",
      metadata: { name: weightedName, namespace },
      spec: {
        weighted: {
          services: [
            { name: stableService, port, weight: 100 - weight },
            { name: canaryService, port, weight },
          ],
        },
      },
    });
    routes = [{ kind: "Rule", match: rule, services: [{ name: weightedName, kind: "TraefikService" }] }];
  }

  new ApiObject(chart, "route", {
    apiVersion: traefikApiVersion,
    kind: "IngressRoute",
    metadata: { name: spec.name, namespace, labels: { app: spec.name } },
    spec: {
      entryPoints: canary.entryPoints ?? [ingress.tls ? "websecure" : "web"],
      routes,
      tls: ingress.tls ? { secretName: ingress.tls.secretName } : undefined,
    },
  });
}
