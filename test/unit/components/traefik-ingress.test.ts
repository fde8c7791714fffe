import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TraefikIngress } from "../../../components/traefik-ingress";
import { childrenOf, installMocks, isWrappedSecret, settle, valueOf } from "./mocks";

const htpasswd = "admin:$apr1$Zq1x0Tmb$6yR0m5m8sd0B0t1o7hZ0a/";

let provider: k8s.Provider;
beforeAll(async () => {
  await installMocks();
  provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
});

describe("TraefikIngress", () => {
  let traefik: TraefikIngress;
  beforeAll(async () => {
    traefik = new TraefikIngress("edge", { provider, edgeVip: "192.0.2.100", dashboardHtpasswd: pulumi.secret(htpasswd) });
    await settle();
  });

  test("typed resources for the built-in kinds, CustomResources for Traefik's", () => {
    const types = childrenOf("edge").map((r) => r.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "kubernetes:core/v1:Namespace",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "kubernetes:networking.k8s.io/v1:IngressClass",
        "kubernetes:apps/v1:DaemonSet",
        "kubernetes:core/v1:Service",
        "kubernetes:traefik.io/v1alpha1:IngressRoute",
        "kubernetes:traefik.io/v1alpha1:Middleware",
      ]),
    );
    expect(types.filter((t) => t.endsWith(":CustomResourceDefinition"))).toHaveLength(10);
    expect(childrenOf("edge").map((r) => r.name)).toContain("edge/traefik/traefik");
  });

  test("the dashboard's htpasswd reaches the engine only as a secret", () => {
    const secret = childrenOf("edge").find((r) => r.type === "kubernetes:core/v1:Secret")!;
    expect(secret.name).toBe("edge/traefik/traefik-dashboard-auth");
    expect(isWrappedSecret(secret.inputs.stringData)).toBe(true);
    expect(secret.inputs.stringData.value).toEqual({ users: htpasswd });
    const others = JSON.stringify(childrenOf("edge").filter((r) => r !== secret));
    expect(others).not.toContain("$apr1$");
  });

  test("outputs the edge VIP it was given", async () => {
    expect(await valueOf(traefik.edgeVip)).toBe("192.0.2.100");
    expect(await valueOf(traefik.ingressClassName)).toBe("traefik");
    expect(await valueOf(traefik.namespace)).toBe("traefik");
  });
});

describe("TraefikIngress rejects bad arguments", () => {
  const oneProblem = (line: string) => new Error(`TraefikIngress "edge" has invalid arguments:\n- ${line}`);

  test("host network without dashboard credentials", () => {
    expect(() => new TraefikIngress("edge", { provider, edgeVip: "192.0.2.100", hostNetwork: true })).toThrow(
      oneProblem("dashboardHtpasswd: required with hostNetwork, which binds the dashboard port on every edge node; give htpasswd users as a secret or set hostNetwork to false."),
    );
  });

  test("htpasswd given as a plain string", () => {
    const dashboardHtpasswd = htpasswd as unknown as pulumi.Output<string>;
    expect(() => new TraefikIngress("edge", { provider, edgeVip: "192.0.2.100", dashboardHtpasswd })).toThrow(
      oneProblem('dashboardHtpasswd: a plain value was given where a secret is required; pass pulumi.secret(value) or config.requireSecret("<key>") instead.'),
    );
  });

  test("a port out of range", () => {
    expect(() => new TraefikIngress("edge", { provider, edgeVip: "192.0.2.100", metricsPort: 0 })).toThrow(oneProblem("metricsPort: 0 is not a valid port; use an integer from 1 to 65535."));
  });
});
