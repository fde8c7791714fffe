import { ManifestObject } from "../../../components/charts/chart-app";
import { CONFIG_DIGEST_ANNOTATION, SECRET_FILES_DIGEST_ANNOTATION, webAppManifests } from "../../../components/charts/webapp-chart";
import { WebAppSpec } from "../../../spec/webapp";
import { flaskapp, go2cloud, go2cloudSecrets, helloWorld, helloWorldHeaderCanary, nginx, redis } from "./fixtures";

function find(objects: ManifestObject[], kind: string, name?: string): any {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ""}`);
  return found;
}

const podOf = (objects: ManifestObject[], name?: string) => find(objects, "Deployment", name).spec.template.spec;

describe("no hidden cdk8s-plus defaults", () => {
  const objects = webAppManifests({ ...redis, resources: undefined });
  const pod = podOf(objects);
  const container = pod.containers[0];

  test("the container runs as the image's user: no securityContext, so redis and nginx can run as root", () => {
    expect(container.securityContext).toBeUndefined();
    expect(pod.securityContext).toBeUndefined();
  });

  test("no invented resources, pull policy or startup probe", () => {
    expect(container.resources).toBeUndefined();
    expect(container.imagePullPolicy).toBeUndefined();
    expect(container.startupProbe).toBeUndefined();
  });

  test("service account token and labels keep Kubernetes' defaults", () => {
    expect(pod.automountServiceAccountToken).toBeUndefined();
    expect(find(objects, "Deployment").spec.template.metadata.labels).toEqual({ app: "redis", track: "stable" });
  });

  test("replicas default to 1, not cdk8s-plus's 2", () => {
    expect(find(objects, "Deployment").spec.replicas).toBe(1);
  });

  test("securityContext and resources are copied verbatim when given", () => {
    const spec: WebAppSpec = {
      ...redis,
      securityContext: { runAsUser: 999, readOnlyRootFilesystem: false },
      podSecurityContext: { fsGroup: 999 },
      resources: { requests: { memory: "0.5Gi" }, limits: { memory: "1Gi", cpu: "1.5" } },
    };
    const given = podOf(webAppManifests(spec));
    expect(given.containers[0].securityContext).toEqual({ runAsUser: 999, readOnlyRootFilesystem: false });
    expect(given.securityContext).toEqual({ fsGroup: 999 });
    expect(given.containers[0].resources).toEqual({ requests: { memory: "0.5Gi" }, limits: { memory: "1Gi", cpu: "1.5" } });
  });
});

describe("seed apps", () => {
  test("redis is pinned to nodes labelled storage=ssd", () => {
    expect(podOf(webAppManifests(redis)).nodeSelector).toEqual({ storage: "ssd" });
  });

  test("flaskapp creates its namespace, keeps seed 002's one replica, and its readiness probe counts no visit", () => {
    const objects = webAppManifests(flaskapp);
    expect(find(objects, "Namespace", "docker2istio")).toBeDefined();
    expect(find(objects, "Deployment").spec.replicas).toBe(1);
    expect(podOf(objects).containers[0].env).toEqual([{ name: "REDIS_HOST", value: "redis" }]);
    // GET / would add to the visit counter the seed's page shows.
    expect(podOf(objects).containers[0].readinessProbe).toEqual({ tcpSocket: { port: 5000 }, periodSeconds: 5, failureThreshold: 3 });
  });

  test("nginx mounts default.conf from its ConfigMap with subPath", () => {
    const objects = webAppManifests(nginx);
    const pod = podOf(objects);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: "config", mountPath: "/etc/nginx/conf.d/default.conf", subPath: "default.conf" }]);
    expect(pod.volumes).toEqual([{ name: "config", configMap: { name: "nginx-config" } }]);
    expect(find(objects, "ConfigMap", "nginx-config").data["default.conf"]).toContain("proxy_pass http://flaskapp;");
  });

  test("a change of a config file changes the pod template (the ConfigMap is updated in place), nothing else does", () => {
    const annotationOf = (spec: WebAppSpec) => find(webAppManifests(spec), "Deployment").spec.template.metadata.annotations?.[CONFIG_DIGEST_ANNOTATION];
    const digest = annotationOf(nginx);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(annotationOf({ ...nginx, replicas: 3 })).toBe(digest);
    const files = nginx.configFiles!.files;
    expect(annotationOf({ ...nginx, configFiles: { ...nginx.configFiles!, files: { ...files, "default.conf": files["default.conf"] + "\n" } } })).not.toBe(digest);
    expect(annotationOf(redis)).toBeUndefined();
  });

  test("hello-world is a NodePort 31000 Service with an Ingress for its host", () => {
    const objects = webAppManifests(helloWorld);
    const service = find(objects, "Service", "service-tutum-hello-world");
    expect(service.spec.type).toBe("NodePort");
    expect(service.spec.ports).toEqual([{ port: 80, targetPort: 80, nodePort: 31000 }]);
    const ingress = find(objects, "Ingress");
    expect(ingress.spec.ingressClassName).toBe("traefik");
    expect(ingress.spec.rules[0].host).toBe("tutum-hello-world.local");
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "service-tutum-hello-world", port: { number: 80 } });
  });

  describe("go2cloud-platform", () => {
    const objects = webAppManifests(go2cloud, go2cloudSecrets);
    const pod = podOf(objects, "go2cloud-platform");
    const container = pod.containers[0];

    test("config.yaml is a Secret's file, mounted with items, mode 0644, read-only; no ConfigMap", () => {
      expect(container.volumeMounts).toEqual([{ name: "secret-files-0", mountPath: "/data/config", readOnly: true }]);
      expect(pod.volumes).toEqual([{ name: "secret-files-0", secret: { secretName: "go2cloud-platform-config", items: [{ key: "config.yaml", path: "config.yaml", mode: 0o644 }] } }]);
      expect(objects.filter((o) => o.kind === "ConfigMap")).toEqual([]);
    });

    test("the passwords are in config.yaml, as the app reads them, not in its environment; the chart holds no value", () => {
      expect(container.env).toBeUndefined();
      expect(find(objects, "Secret", "go2cloud-platform-config")).toEqual({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "go2cloud-platform-config", namespace: "default" },
        type: "Opaque",
      });
      expect(objects.some((o) => o.metadata.name === "go2cloud-platform-secret")).toBe(false);
    });

    test("a change of a secret file's text rolls the pods; its digest is of the text with its ${NAME}s unfilled", () => {
      const digestOf = (spec: WebAppSpec) => find(webAppManifests(spec), "Deployment").spec.template.metadata.annotations[SECRET_FILES_DIGEST_ANNOTATION];
      const files = go2cloud.secretFiles!;
      const changed = { ...go2cloud, secretFiles: { ...files, files: { "config.yaml": files.files["config.yaml"] + "DEBUG: true\n" } } };
      expect(digestOf(go2cloud)).toMatch(/^[0-9a-f]{64}$/);
      expect(digestOf(changed)).not.toBe(digestOf(go2cloud));
    });

    test("image is pulled with the registry Secret", () => {
      expect(pod.imagePullSecrets).toEqual([{ name: "registry-secret" }]);
      expect(find(objects, "Secret", "registry-secret").type).toBe("kubernetes.io/dockerconfigjson");
    });

    test("the 8Gi ceph-rdb claim is created and, as in seed 003, mounted nowhere", () => {
      const claim = find(objects, "PersistentVolumeClaim", "go2cloud-api-pvc");
      expect(claim.spec).toEqual({
        storageClassName: "ceph-rdb",
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "8Gi" } },
      });
      expect(pod.volumes.some((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim)).toBe(false);
    });

    test("a claim with a mountPath is mounted", () => {
      const mounted = podOf(
        webAppManifests({ ...go2cloud, replicas: 1, strategy: "Recreate", rollingUpdate: undefined, persistentVolume: { ...go2cloud.persistentVolume!, mountPath: "/data/shared" } }, go2cloudSecrets),
      );
      expect(mounted.volumes).toContainEqual({ name: "data", persistentVolumeClaim: { claimName: "go2cloud-api-pvc", readOnly: false } });
      expect(mounted.containers[0].volumeMounts).toContainEqual({ name: "data", mountPath: "/data/shared" });
    });

    test("resources, tcp liveness probe, seed 003's two replicas and rolling update are as given", () => {
      expect(container.resources).toEqual(go2cloud.resources);
      expect(container.livenessProbe).toEqual({ tcpSocket: { port: 8088 }, initialDelaySeconds: 20, failureThreshold: 3 });
      expect(find(objects, "Deployment").spec.replicas).toBe(2);
      expect(find(objects, "Deployment").spec.strategy).toEqual({
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      });
    });

    test("the Recreate strategy stops the old pods before new ones start", () => {
      const recreated = find(webAppManifests({ ...go2cloud, strategy: "Recreate", rollingUpdate: undefined }, go2cloudSecrets), "Deployment");
      expect(recreated.spec.strategy).toEqual({ type: "Recreate" });
    });

    test("NodePort 30020; an HPA on CPU owns the replica count, beside a PDB", () => {
      expect(find(objects, "Service").spec.ports[0]).toMatchObject({ name: "http", nodePort: 30020, port: 8088 });
      const scaled = webAppManifests({ ...go2cloud, autoscaling: { minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 75 }, podDisruptionBudget: { minAvailable: 1 } }, go2cloudSecrets);
      expect(find(scaled, "Deployment").spec.replicas).toBeUndefined();
      const hpa = find(scaled, "HorizontalPodAutoscaler");
      expect(hpa.apiVersion).toBe("autoscaling/v2");
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "go2cloud-platform" });
      expect(hpa.spec.metrics[0].resource.target).toEqual({ type: "Utilization", averageUtilization: 75 });
      expect(find(scaled, "PodDisruptionBudget").spec).toEqual({ minAvailable: 1, selector: { matchLabels: { app: "go2cloud-platform" } } });
    });
  });
});

describe("shutdown", () => {
  test("a shutdown delay is a preStop sleep of the stable and canary containers; without it there is no lifecycle", () => {
    const objects = webAppManifests({ ...helloWorldHeaderCanary, shutdownDelaySeconds: 5 });
    for (const name of ["tutum-hello-world", "tutum-hello-world-canary"]) {
      expect(podOf(objects, name).containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    }
    expect(podOf(webAppManifests(helloWorld)).containers[0].lifecycle).toBeUndefined();
  });
});

describe("env sources and placement", () => {
  test("secret env can be exposed with envFrom, next to existing ConfigMaps and Secrets", () => {
    const spec: WebAppSpec = { ...redis, envFrom: [{ configMap: "common", prefix: "C_" }, { secret: "tokens" }] };
    const pod = podOf(webAppManifests(spec, { env: { secretName: "redis-secret", keys: ["A"], exposure: "envFrom" } }));
    expect(pod.containers[0].envFrom).toEqual([{ configMapRef: { name: "common" }, prefix: "C_" }, { secretRef: { name: "tokens" } }, { secretRef: { name: "redis-secret" } }]);
    expect(pod.containers[0].env).toBeUndefined();
  });

  test("tolerations and node affinity", () => {
    const spec: WebAppSpec = {
      ...redis,
      tolerations: [{ key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" }],
      nodeAffinity: {
        required: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }],
        preferred: [{ weight: 50, match: [{ key: "zone", operator: "In", values: ["a"] }] }],
      },
    };
    const pod = podOf(webAppManifests(spec));
    expect(pod.tolerations).toEqual([{ key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" }]);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] },
    ]);
    expect(pod.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([{ weight: 50, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] } }]);
  });

  test("ingress TLS names the host and the certificate Secret", () => {
    const spec: WebAppSpec = { ...helloWorld, ingress: { host: "a.example", paths: ["/api"], tls: { secretName: "a-tls" } } };
    const ingress = find(webAppManifests(spec), "Ingress");
    expect(ingress.spec.tls).toEqual([{ hosts: ["a.example"], secretName: "a-tls" }]);
    expect(ingress.spec.rules[0].http.paths[0]).toMatchObject({ path: "/api", pathType: "Prefix" });
  });
});

describe("canary", () => {
  const objects = webAppManifests(helloWorldHeaderCanary);

  test("a second Deployment and Service with the canary image and replicas", () => {
    const canary = find(objects, "Deployment", "tutum-hello-world-canary");
    expect(canary.spec.replicas).toBe(1);
    expect(canary.spec.template.spec.containers[0].image).toBe("tutum/hello-world:canary");
    expect(find(objects, "Service", "service-tutum-hello-world-canary").spec.selector).toEqual({
      app: "tutum-hello-world",
      track: "canary",
    });
    expect(find(objects, "Service", "service-tutum-hello-world").spec.selector.track).toBe("stable");
  });

  test("routed by X-Canary header at a higher priority than the stable route, instead of an Ingress", () => {
    const route = find(objects, "IngressRoute");
    expect(route.apiVersion).toBe("traefik.io/v1alpha1");
    const [canaryRoute, stableRoute] = route.spec.routes;
    expect(canaryRoute.match).toBe("Host(`tutum-hello-world.local`) && PathPrefix(`/`) && Header(`X-Canary`, `true`)");
    expect(canaryRoute.services).toEqual([{ name: "service-tutum-hello-world-canary", port: 80 }]);
    expect(stableRoute.match).toBe("Host(`tutum-hello-world.local`) && PathPrefix(`/`)");
    expect(canaryRoute.priority).toBeGreaterThan(stableRoute.priority);
    expect(objects.some((o) => o.kind === "Ingress")).toBe(false);
  });
});
