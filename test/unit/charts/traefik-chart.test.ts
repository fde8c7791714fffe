import { ManifestObject } from "../../../components/charts/chart-app";
import { traefikManifests } from "../../../components/charts/traefik-chart";
import { traefikCrdKinds } from "../../../components/charts/traefik-crds";
import { traefik, traefikSecrets } from "./fixtures";

const byKind = (objects: ManifestObject[], kind: string): any[] => objects.filter((o) => o.kind === kind);
const daemonSetPod = (objects: ManifestObject[]) => byKind(objects, "DaemonSet")[0].spec.template.spec;

describe("traefik chart", () => {
  const objects = traefikManifests(traefik, traefikSecrets);
  const pod = daemonSetPod(objects);
  const container = pod.containers[0];

  test("runs only on edge nodes, tolerating their taint", () => {
    expect(pod.nodeSelector).toEqual({ "node-role.kubernetes.io/edge": "" });
    expect(pod.tolerations).toEqual([{ key: "node-role.kubernetes.io/edge", operator: "Exists", effect: "NoSchedule" }]);
  });

  test("host ports 80/443 map to unprivileged container ports, and the ping port is the edge VIP's check; the process is not root", () => {
    expect(container.ports.filter((p: any) => p.hostPort)).toEqual([
      { name: "web", containerPort: 8000, hostPort: 80 },
      { name: "websecure", containerPort: 8443, hostPort: 443 },
      { name: "ping", containerPort: 8082, hostPort: 8082 },
    ]);
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, capabilities: { drop: ["ALL"] } });
    expect(pod.hostNetwork).toBe(false);
  });

  test("access logs, Prometheus metrics, /ping probes and resources", () => {
    expect(container.args).toEqual(expect.arrayContaining(["--accesslog=true", "--metrics.prometheus=true", "--metrics.prometheus.entryPoint=metrics", "--ping=true"]));
    expect(container.livenessProbe.httpGet).toEqual({ path: "/ping", port: 8082, scheme: "HTTP" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/ping", port: 8082, scheme: "HTTP" });
  });

  test("stopping, it answers 503 on /ping and keeps accepting requests longer than the edge VIP's check takes", () => {
    expect(container.args).toEqual(
      expect.arrayContaining([
        "--entryPoints.ping.address=:8082",
        "--ping.entryPoint=ping",
        "--ping.terminatingStatusCode=503",
        "--entryPoints.web.transport.lifeCycle.requestAcceptGraceTimeout=5s",
        "--entryPoints.websecure.transport.lifeCycle.requestAcceptGraceTimeout=5s",
      ]),
    );
    expect(container.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } });
  });

  test("RBAC: a ServiceAccount bound to a ClusterRole reading Ingresses and the Traefik CRDs", () => {
    expect(pod.serviceAccountName).toBe("traefik");
    expect(pod.automountServiceAccountToken).toBe(true);
    const rules = byKind(objects, "ClusterRole")[0].rules;
    expect(rules).toContainEqual({
      apiGroups: ["extensions", "networking.k8s.io"],
      resources: ["ingresses", "ingressclasses"],
      verbs: ["get", "list", "watch"],
    });
    expect(rules.find((r: any) => r.apiGroups[0] === "traefik.io").resources).toContain("ingressroutes");
    expect(byKind(objects, "ClusterRoleBinding")[0].subjects).toEqual([{ kind: "ServiceAccount", name: "traefik", namespace: "traefik" }]);
  });

  test("every CRD the v3 provider watches, keeping unknown spec fields", () => {
    const crds = byKind(objects, "CustomResourceDefinition");
    expect(crds.map((crd) => crd.spec.names.kind)).toEqual([...traefikCrdKinds]);
    const schema = crds[0].spec.versions[0].schema.openAPIV3Schema;
    expect(schema.properties.spec).toEqual({ type: "object", "x-kubernetes-preserve-unknown-fields": true });
  });

  test("a default IngressClass for the Traefik controller", () => {
    const ingressClass = byKind(objects, "IngressClass")[0];
    expect(ingressClass.spec.controller).toBe("traefik.io/ingress-controller");
    expect(ingressClass.metadata.annotations).toEqual({ "ingressclass.kubernetes.io/is-default-class": "true" });
  });

  test("the dashboard is served only on the internal entry point, behind BasicAuth, via a ClusterIP Service", () => {
    const route = byKind(objects, "IngressRoute").find((r) => r.metadata.name === "traefik-dashboard");
    expect(route.spec.entryPoints).toEqual(["traefik"]);
    expect(route.spec.routes[0].services).toEqual([{ name: "api@internal", kind: "TraefikService" }]);
    expect(route.spec.routes[0].middlewares).toEqual([{ name: "traefik-dashboard-auth" }]);
    expect(byKind(objects, "Middleware")[0].spec).toEqual({ basicAuth: { secret: "traefik-dashboard-auth" } });
    const service = byKind(objects, "Service")[0];
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.ports.map((p: any) => p.port)).toEqual([9000, 9100]);
    expect(container.args).toContain("--entryPoints.web.asDefault=true");
  });

  test("on the host network it binds 80/443 itself, as root with only NET_BIND_SERVICE", () => {
    const hostPod = daemonSetPod(traefikManifests({ ...traefik, hostNetwork: true }, traefikSecrets));
    const hostContainer = hostPod.containers[0];
    expect(hostPod.hostNetwork).toBe(true);
    expect(hostPod.dnsPolicy).toBe("ClusterFirstWithHostNet");
    expect(hostContainer.ports.slice(0, 2)).toEqual([
      { name: "web", containerPort: 80 },
      { name: "websecure", containerPort: 443 },
    ]);
    expect(hostContainer.securityContext.capabilities).toEqual({ drop: ["ALL"], add: ["NET_BIND_SERVICE"] });
  });

  test("the image, label and taint keys are arguments", () => {
    const custom = traefikManifests({
      image: "registry.local/traefik:v3.2",
      edgeNodeLabel: { key: "edge", value: "true" },
      edgeTaint: { key: "edge", effect: "NoExecute" },
      createNamespace: false,
    });
    const customPod = daemonSetPod(custom);
    expect(customPod.containers[0].image).toBe("registry.local/traefik:v3.2");
    expect(customPod.nodeSelector).toEqual({ edge: "true" });
    expect(customPod.tolerations).toEqual([{ key: "edge", operator: "Exists", effect: "NoExecute" }]);
    expect(byKind(custom, "Namespace")).toEqual([]);
    expect(byKind(custom, "Middleware")).toEqual([]);
  });
});
