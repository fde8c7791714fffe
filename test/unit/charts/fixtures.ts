import { cephRbdManifests } from "../../../components/charts/ceph-csi-chart";
import { CephRbdSpec } from "../../../spec/ceph-rbd";
import { ManifestObject } from "../../../components/charts/chart-app";
import { flannelManifests } from "../../../components/flannel";
import { traefikManifests, TraefikSecretShapes } from "../../../components/charts/traefik-chart";
import { TraefikSpec } from "../../../spec/traefik";
import { webAppManifests } from "../../../components/charts/webapp-chart";
import { WebAppSecretShapes, WebAppSpec } from "../../../spec/webapp";

/** Realistic chart inputs taken from the seed documents' manifests. */

/** The nginx `default.conf` of the flaskapp/redis/nginx walkthrough, proxying to flaskapp. */
export const nginxDefaultConf = `upstream flaskapp {
    server flaskapp:5000;
}
server {
    listen 80;
    server_name localhost;
    root /usr/share/nginx/html;
    location / {
        proxy_pass http://flaskapp;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header Host $host;
        proxy_redirect off;
    }
}
`;

/** go2cloud's config.yaml with the two passwords moved out into a Secret. */
export const go2cloudConfigYaml = `DB_ENGINE: mysql
DB_HOST: mariadb-cluster-mariadb-master.default.svc.cluster.local
DB_PORT: 3306
DB_USER: go2clouduser
DB_NAME: go2cloud
REDIS_HOST: redis-cluster-redis-ha-announce-0.default.svc.cluster.local
REDIS_PORT: 6379
HTTP_LISTEN_PORT: 8088
API_MIGRATE_SERVER_URL: http://go2cloud-api-service.default.svc.cluster.local:8004
PLATFORM_CALLBACK_URL: http://go2cloud-platform-service.default.svc.cluster.local:8088
`;

export const flaskapp: WebAppSpec = {
  name: "flaskapp",
  namespace: "docker2istio",
  createNamespace: true,
  image: "flaskapp:0.0.2",
  ports: [{ containerPort: 5000 }],
  replicas: 3,
  env: { REDIS_HOST: "redis" },
  readinessProbe: { http: { path: "/", port: 5000 }, periodSeconds: 5 },
};

/** Redis is pinned to the node labelled storage=ssd. Runs as the image's own (root) user. */
export const redis: WebAppSpec = {
  name: "redis",
  namespace: "docker2istio",
  image: "redis:4-alpine3.8",
  ports: [{ containerPort: 6379 }],
  nodeSelector: { storage: "ssd" },
  livenessProbe: { exec: { command: ["redis-cli", "ping"] }, initialDelaySeconds: 5 },
};

/** nginx reads default.conf from a ConfigMap mounted with subPath; NodePort picked by Kubernetes. */
export const nginx: WebAppSpec = {
  name: "nginx",
  namespace: "docker2istio",
  image: "nginx:1.15.8-alpine",
  ports: [{ containerPort: 80 }],
  configFiles: {
    configMapName: "nginx-config",
    files: { "default.conf": nginxDefaultConf },
    mounts: [{ style: "subPath", key: "default.conf", mountPath: "/etc/nginx/conf.d/default.conf" }],
  },
  service: { type: "NodePort" },
};

/** tutum/hello-world behind NodePort 31000 and an Ingress for tutum-hello-world.local. */
export const helloWorld: WebAppSpec = {
  name: "tutum-hello-world",
  namespace: "cloud",
  image: "tutum/hello-world",
  ports: [{ containerPort: 80, name: "web" }],
  replicas: 3,
  service: { name: "service-tutum-hello-world", type: "NodePort", ports: [{ port: 80, targetPort: 80, nodePort: 31000 }] },
  ingress: { host: "tutum-hello-world.local", ingressClassName: "traefik" },
};

/** The same app with a canary track that testers reach by sending `X-Canary: true`. */
export const helloWorldHeaderCanary: WebAppSpec = {
  ...helloWorld,
  canary: { image: "tutum/hello-world:canary", replicas: 1, routing: "header" },
};

/** A canary that takes 10% of all requests. */
export const helloWorldWeightedCanary: WebAppSpec = {
  ...helloWorld,
  ingress: { host: "tutum-hello-world.local", tls: { secretName: "hello-world-tls" } },
  canary: { image: "tutum/hello-world:canary", routing: "weight", weight: 10 },
};

/** go2cloud-platform: items-style config, secrets, private registry, 8Gi Ceph PVC, NodePort 30020. */
export const go2cloud: WebAppSpec = {
  name: "go2cloud-platform",
  namespace: "default",
  image: "10.234.2.218/go2cloud/go2cloud-platform:latest",
  imagePullPolicy: "IfNotPresent",
  ports: [{ containerPort: 8088, protocol: "TCP" }],
  replicas: 2,
  rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
  resources: { requests: { cpu: "250m", memory: "520Mi" }, limits: { cpu: "500m", memory: "1024Mi" } },
  livenessProbe: { tcp: { port: 8088 }, initialDelaySeconds: 20 },
  configFiles: {
    configMapName: "go2cloud-platform-cm",
    files: { "config.yaml": go2cloudConfigYaml },
    mounts: [{ style: "items", mountPath: "/data/config", items: [{ key: "config.yaml", path: "config.yaml", mode: 0o644 }] }],
  },
  persistentVolume: { claimName: "go2cloud-api-pvc", storageClassName: "ceph-rdb", size: "8Gi", mountPath: "/data/shared" },
  service: {
    name: "go2cloud-platform-service",
    type: "NodePort",
    ports: [{ name: "http", port: 8088, targetPort: 8088, nodePort: 30020, protocol: "TCP" }],
  },
  autoscaling: { minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 75 },
  podDisruptionBudget: { minAvailable: 1 },
};

export const go2cloudSecrets: WebAppSecretShapes = {
  env: { secretName: "go2cloud-platform-secret", keys: ["DB_PASSWORD", "REDIS_PASSWORD"], exposure: "env" },
  registrySecretName: "registry-secret",
};

export const traefik: TraefikSpec = { defaultIngressClass: true };
export const traefikSecrets: TraefikSecretShapes = { dashboardAuthSecretName: "traefik-dashboard-auth" };

/** Seed 003's in-tree class, moved to ceph-csi: same pool, fs, features and reclaim policy. */
export const cephRbd: CephRbdSpec = {
  clusterId: "b9127830-b0cc-4e34-aa47-9d1a2e9949a8",
  monitors: ["192.0.2.11:6789", "192.0.2.12:6789", "192.0.2.13:6789"],
  pool: "kube",
  storageClassName: "ceph-rdb",
  fsType: "xfs",
  imageFeatures: "layering",
  reclaimPolicy: "Retain",
};

/** Every chart rendered with the fixtures above, by golden file name. */
export const renderedCharts: Record<string, () => ManifestObject[]> = {
  "webapp-flaskapp": () => webAppManifests(flaskapp),
  "webapp-redis": () => webAppManifests(redis),
  "webapp-nginx": () => webAppManifests(nginx),
  "webapp-hello-world": () => webAppManifests(helloWorld),
  "webapp-hello-world-header-canary": () => webAppManifests(helloWorldHeaderCanary),
  "webapp-hello-world-weighted-canary": () => webAppManifests(helloWorldWeightedCanary),
  "webapp-go2cloud-platform": () => webAppManifests(go2cloud, go2cloudSecrets),
  traefik: () => traefikManifests(traefik, traefikSecrets),
  "ceph-rbd": () => cephRbdManifests(cephRbd),
  flannel: () => flannelManifests({ podCidr: "10.244.0.0/16", nodeSubnetLength: 24 }),
  "flannel-every-option": () =>
    flannelManifests({
      podCidr: "172.20.0.0/14",
      nodeSubnetLength: 22,
      version: "0.26.4",
      imageRegistry: "registry.example.internal",
      backendType: "wireguard",
      resources: { requests: { cpu: "200m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } },
    }),
};
