/** The shape of one `apps[]` entry in config: every field of WebAppSpec (spec/webapp.ts). */
import { ObjectShape, Shape } from "./shape";

const object = (fields: Record<string, Shape>, required: readonly string[] = [], exactlyOne?: readonly string[]): ObjectShape => ({ fields, required, exactlyOne });
const list = (shape: Shape): Shape => ({ list: shape });
const map = (shape: Shape): Shape => ({ values: shape });

const quantities = object({ cpu: "string", memory: "string", "ephemeral-storage": "string" });
const httpProbe = object({ path: "string", port: "integer", scheme: ["HTTP", "HTTPS"] }, ["path", "port"]);
const tcpProbe = object({ port: "integer" }, ["port"]);

/** Probe kinds in onprem-k8s's spelling and in Kubernetes' own, as users copy them from their manifests. */
export const PROBE_KINDS = { http: "http", httpGet: "http", tcp: "tcp", tcpSocket: "tcp", exec: "exec" } as const;

const probe = object(
  {
    http: httpProbe,
    httpGet: httpProbe,
    tcp: tcpProbe,
    tcpSocket: tcpProbe,
    exec: object({ command: list("string") }, ["command"]),
    initialDelaySeconds: "integer",
    periodSeconds: "integer",
    timeoutSeconds: "integer",
    failureThreshold: "integer",
    successThreshold: "integer",
  },
  [],
  Object.keys(PROBE_KINDS),
);
// A subPath mount names one key; an items mount lists the keys it projects into a directory.
const fileMounts = list({
  discriminator: "style",
  variants: {
    subPath: object({ key: "string", mountPath: "string" }, ["key", "mountPath"]),
    items: object({ mountPath: "string", items: list(object({ key: "string", path: "string", mode: "integer" }, ["key", "path"])) }, ["mountPath", "items"]),
  },
});
const nodeLabelRequirement = object({ key: "string", operator: ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"], values: list("string") }, ["key", "operator"]);

export const APP_SHAPE: ObjectShape = object(
  {
    name: "string",
    namespace: "string",
    createNamespace: "boolean",
    image: "string",
    imagePullPolicy: ["Always", "IfNotPresent", "Never"],
    command: list("string"),
    args: list("string"),
    env: map("string"),
    envFrom: list(object({ configMap: "string", secret: "string", prefix: "string" })),
    ports: list(object({ containerPort: "integer", name: "string", protocol: ["TCP", "UDP"], hostPort: "integer" }, ["containerPort"])),
    replicas: "integer",
    strategy: ["RollingUpdate", "Recreate"],
    rollingUpdate: object({ maxSurge: "integerOrString", maxUnavailable: "integerOrString" }),
    resources: object({ requests: quantities, limits: quantities }),
    securityContext: object({
      runAsUser: "integer",
      runAsGroup: "integer",
      runAsNonRoot: "boolean",
      readOnlyRootFilesystem: "boolean",
      allowPrivilegeEscalation: "boolean",
      privileged: "boolean",
      capabilities: object({ add: list("string"), drop: list("string") }),
    }),
    podSecurityContext: object({ runAsUser: "integer", runAsGroup: "integer", runAsNonRoot: "boolean", fsGroup: "integer" }),
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    shutdownDelaySeconds: "integer",
    configFiles: object({ configMapName: "string", files: map("string"), mounts: fileMounts }, ["files", "mounts"]),
    // `values` is config only: each `${NAME}` of the files to the secret config key holding its value (config/parse-apps.ts).
    secretFiles: object({ secretName: "string", files: map("string"), values: map("string"), mounts: fileMounts }, ["files", "values", "mounts"]),
    persistentVolume: object(
      { claimName: "string", storageClassName: "string", size: "string", accessMode: ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"], mountPath: "string" },
      ["storageClassName", "size"],
    ),
    nodeSelector: map("string"),
    tolerations: list(object({ key: "string", operator: ["Equal", "Exists"], value: "string", effect: ["NoSchedule", "PreferNoSchedule", "NoExecute"], tolerationSeconds: "integer" })),
    nodeAffinity: object({ required: list(nodeLabelRequirement), preferred: list(object({ weight: "integer", match: list(nodeLabelRequirement) }, ["weight", "match"])) }),
    imagePullSecrets: list("string"),
    service: object({
      name: "string",
      type: ["ClusterIP", "NodePort"],
      ports: list(object({ port: "integer", targetPort: "integer", nodePort: "integer", name: "string", protocol: ["TCP", "UDP"] }, ["port"])),
    }),
    ingress: object({ host: "string", paths: list("string"), ingressClassName: "string", tls: object({ secretName: "string" }, ["secretName"]), servicePort: "integer", awaitAddress: "boolean" }),
    autoscaling: object({ minReplicas: "integer", maxReplicas: "integer", targetCpuUtilization: "integer" }, ["maxReplicas", "targetCpuUtilization"]),
    podDisruptionBudget: object({ minAvailable: "integerOrString", maxUnavailable: "integerOrString" }),
    canary: object({ image: "string", replicas: "integer", routing: ["header", "weight"], header: "string", headerValue: "string", weight: "number", entryPoints: list("string") }, [
      "image",
      "routing",
    ]),
    // Config only: the secret config keys of the app's sensitive values (config/parse-apps.ts).
    secretEnv: map("string"),
    registry: object({ server: "string", username: "string", passwordKey: "string", secretName: "string" }, ["server", "username", "passwordKey"]),
  },
  ["name", "image", "ports"],
);
