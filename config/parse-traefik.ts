/** Parses `traefik`: Traefik on the edge nodes, behind the VIP of the load balancer whose backends are the edge nodes. */
import type { TraefikSpec } from "../spec/traefik";
import { AddonParseContext, givenAddon } from "./addon";
import { edgeLoadBalancer } from "./parse-kubernetes";
import { isRecord } from "./problems";

export function parseTraefik(raw: unknown, context: AddonParseContext): TraefikSpec | undefined {
  const value = givenAddon(raw);
  if (value === undefined) return undefined;
  const { key, problems } = context;
  if (!isRecord(value)) {
    problems.add(key, "is not an object", "give the TraefikIngress settings, or {} for the defaults");
    return undefined;
  }
  if (!edgeLoadBalancer(context.loadBalancers)) {
    problems.add(key, "is configured, but no load balancer has backendRole edge", "add a load balancer in front of the edge nodes (backendRole edge, ports [80, 443]) for Traefik's VIP");
  }
  const spec = value as TraefikSpec;
  // versions.traefik pins Traefik's image unless traefik.image names one.
  const version = context.versions.traefik;
  return version && !spec.image ? { ...spec, image: `traefik:v${version.replace(/^v/, "")}` } : spec;
}
