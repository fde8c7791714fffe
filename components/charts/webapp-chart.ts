import { createHash } from "node:crypto";
import { ApiObject, Chart, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { pinPodTemplate, schedule, toContainerProps } from "./pod-spec";
import { addCanaryRoutes } from "./webapp-canary";
import { ConfigDirectoryMount, ConfigFileMount, namespaceOf, secretFilesNameOf, serviceNameOf, servicePortsOf, WebAppSecretShapes, WebAppSpec } from "../../spec/webapp";

const kube = kplus.k8s;

/**
 * Pod-template annotation holding a digest of the app's config files. The ConfigMap is updated in place, and a file
 * mounted by subPath never sees that, so a change of a file rolls the pods through the Deployment's own strategy.
 */
export const CONFIG_DIGEST_ANNOTATION = "onprem-k8s/config-sha256";

/**
 * Pod-template annotation holding a digest of the secret files' text, their `${NAME}`s unfilled, so that no secret
 * value shapes it. A new secret value reaches an `items` mount in place; the app reads it when it next starts.
 */
export const SECRET_FILES_DIGEST_ANNOTATION = "onprem-k8s/secret-files-sha256";

/** Pod wiring shared by the stable and the canary track. */
interface PodWiring {
  readonly envVariables: Record<string, kplus.EnvValue>;
  readonly envFrom: kplus.EnvFrom[];
  readonly volumeMounts: kplus.VolumeMount[];
  readonly imagePullSecrets: string[];
  readonly podAnnotations: Record<string, string>;
}

function intOrString(value: number | string): kplus.k8s.IntOrString {
  return typeof value === "number" ? kube.IntOrString.fromNumber(value) : kube.IntOrString.fromString(value);
}

function percentOrAbsolute(value: number | string): kplus.PercentOrAbsolute {
  return typeof value === "number" ? kplus.PercentOrAbsolute.absolute(value) : kplus.PercentOrAbsolute.percent(Number(value.replace("%", "")));
}

function digestOf(files: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex");
}

/**
 * The mounts of one source of files: a subPath mount takes its file from the whole-source volume, an items mount
 * gets a volume of its own; `volumeOf` makes a volume of the source, with the given name and items.
 */
function fileMounts(
  mounts: readonly (ConfigFileMount | ConfigDirectoryMount)[],
  volumeOf: (name: string, items?: Record<string, kplus.PathMapping>) => kplus.Volume,
  name: string,
): kplus.VolumeMount[] {
  let wholeSource: kplus.Volume | undefined;
  return mounts.map((mount, i) => {
    if (mount.style === "subPath") return { volume: (wholeSource ??= volumeOf(name)), path: mount.mountPath, subPath: mount.key };
    const items: Record<string, kplus.PathMapping> = {};
    for (const item of mount.items) items[item.key] = { path: item.path, mode: item.mode };
    return { volume: volumeOf(`${name}-${i}`, items), path: mount.mountPath, readOnly: true };
  });
}

/** ConfigMap, PVC, Secret shapes and the env/mount wiring that refers to them. */
function addPodInputs(chart: Chart, spec: WebAppSpec, secrets: WebAppSecretShapes): PodWiring {
  const namespace = namespaceOf(spec);
  const env: Record<string, kplus.EnvValue> = {};
  for (const [name, value] of Object.entries(spec.env ?? {})) env[name] = kplus.EnvValue.fromValue(value);
  const envFrom = (spec.envFrom ?? []).map((source, i) =>
    source.configMap
      ? kplus.Env.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, `env-from-${i}`, source.configMap), source.prefix)
      : new kplus.EnvFrom(undefined, source.prefix, kplus.Secret.fromSecretName(chart, `env-from-${i}`, source.secret ?? "")),
  );
  const volumeMounts: kplus.VolumeMount[] = [];
  const podAnnotations: Record<string, string> = {};

  if (secrets.env) {
    // The Secret is declared without data: the values are Pulumi secrets attached at registration.
    new kube.KubeSecret(chart, "secret-env", { metadata: { name: secrets.env.secretName, namespace }, type: "Opaque" });
    const secretRef = kplus.Secret.fromSecretName(chart, "secret-env-ref", secrets.env.secretName);
    if (secrets.env.exposure === "envFrom") envFrom.push(kplus.Env.fromSecret(secretRef));
    else for (const key of secrets.env.keys) env[key] = kplus.EnvValue.fromSecretValue({ secret: secretRef, key });
  }
  if (secrets.registrySecretName) {
    new kube.KubeSecret(chart, "registry-secret", {
      metadata: { name: secrets.registrySecretName, namespace },
      type: "kubernetes.io/dockerconfigjson",
    });
  }

  if (spec.configFiles) {
    const files = spec.configFiles;
    const configMap = new kplus.ConfigMap(chart, "config", {
      metadata: { name: files.configMapName ?? `${spec.name}-config`, namespace },
      data: files.files,
    });
    podAnnotations[CONFIG_DIGEST_ANNOTATION] = digestOf(files.files);
    volumeMounts.push(...fileMounts(files.mounts, (name, items) => kplus.Volume.fromConfigMap(chart, `${name}-volume`, configMap, { name, items }), "config"));
  }

  if (spec.secretFiles) {
    const name = secretFilesNameOf(spec);
    // Declared without data: the files, their values filled in, are a Pulumi secret attached at registration.
    new kube.KubeSecret(chart, "secret-files", { metadata: { name, namespace }, type: "Opaque" });
    const secret = kplus.Secret.fromSecretName(chart, "secret-files-ref", name);
    podAnnotations[SECRET_FILES_DIGEST_ANNOTATION] = digestOf(spec.secretFiles.files);
    volumeMounts.push(...fileMounts(spec.secretFiles.mounts, (volume, items) => kplus.Volume.fromSecret(chart, `${volume}-volume`, secret, { name: volume, items }), "secret-files"));
  }

  if (spec.persistentVolume) {
    const pv = spec.persistentVolume;
    const claimName = pv.claimName ?? `${spec.name}-data`;
    new kube.KubePersistentVolumeClaim(chart, "data", {
      metadata: { name: claimName, namespace },
      spec: {
        storageClassName: pv.storageClassName,
        accessModes: [pv.accessMode ?? "ReadWriteOnce"],
        resources: { requests: { storage: kube.Quantity.fromString(pv.size) } },
      },
    });
    if (pv.mountPath) {
      const claim = kplus.PersistentVolumeClaim.fromClaimName(chart, "data-ref", claimName);
      const volume = kplus.Volume.fromPersistentVolumeClaim(chart, "data-volume", claim, { name: "data" });
      volumeMounts.push({ volume, path: pv.mountPath });
    }
  }

  const imagePullSecrets = [...(spec.imagePullSecrets ?? [])];
  if (secrets.registrySecretName) imagePullSecrets.push(secrets.registrySecretName);
  return { envVariables: env, envFrom, volumeMounts, imagePullSecrets, podAnnotations };
}

/** One Deployment (track) of the app; the canary differs only in name, image, replicas and label. */
function addTrack(chart: Chart, spec: WebAppSpec, wiring: PodWiring, track: "stable" | "canary"): kplus.Deployment {
  const isCanary = track === "canary";
  const labels = { app: spec.name, track };
  const container = { ...spec, image: isCanary ? spec.canary!.image : spec.image };
  const deployment = new kplus.Deployment(chart, track, {
    metadata: { name: isCanary ? `${spec.name}-canary` : spec.name, namespace: namespaceOf(spec), labels },
    replicas: isCanary ? (spec.canary!.replicas ?? 1) : (spec.replicas ?? 1),
    select: false,
    podMetadata: { labels, annotations: wiring.podAnnotations },
    containers: [toContainerProps(spec.name, container, wiring)],
    strategy:
      spec.strategy === "Recreate"
        ? kplus.DeploymentStrategy.recreate()
        : spec.rollingUpdate
          ? kplus.DeploymentStrategy.rollingUpdate({
              maxSurge: spec.rollingUpdate.maxSurge === undefined ? undefined : percentOrAbsolute(spec.rollingUpdate.maxSurge),
              maxUnavailable: spec.rollingUpdate.maxUnavailable === undefined ? undefined : percentOrAbsolute(spec.rollingUpdate.maxUnavailable),
            })
          : undefined,
  });
  deployment.select(kplus.LabelSelector.of({ labels }));
  schedule(deployment, spec.tolerations, spec.nodeAffinity);
  pinPodTemplate(deployment, {
    containers: [container],
    podSecurityContext: spec.podSecurityContext,
    nodeSelector: spec.nodeSelector,
    imagePullSecrets: wiring.imagePullSecrets,
  });
  if (!isCanary && spec.autoscaling) deployment.markHasAutoscaler();
  return deployment;
}

function addService(chart: Chart, spec: WebAppSpec, track: "stable" | "canary"): kplus.Service {
  const name = track === "canary" ? `${serviceNameOf(spec)}-canary` : serviceNameOf(spec);
  const service = new kplus.Service(chart, `${track}-service`, {
    metadata: { name, namespace: namespaceOf(spec), labels: { app: spec.name } },
    type: spec.service?.type === "NodePort" && track === "stable" ? kplus.ServiceType.NODE_PORT : kplus.ServiceType.CLUSTER_IP,
    ports: servicePortsOf(spec).map((port) => ({
      port: port.port,
      targetPort: port.targetPort ?? port.port,
      nodePort: track === "stable" ? port.nodePort : undefined,
      name: port.name,
      protocol: port.protocol === "UDP" ? kplus.Protocol.UDP : undefined,
    })),
  });
  service.selectLabel("app", spec.name);
  service.selectLabel("track", track);
  ApiObject.of(service).addJsonPatch(JsonPatch.remove("/spec/externalIPs"));
  return service;
}

function addIngress(chart: Chart, spec: WebAppSpec, service: kplus.Service): void {
  const ingress = spec.ingress!;
  const port = ingress.servicePort ?? servicePortsOf(spec)[0].port;
  new kplus.Ingress(chart, "ingress", {
    metadata: {
      name: spec.name,
      namespace: namespaceOf(spec),
      labels: { app: spec.name },
      ...(ingress.awaitAddress === false ? { annotations: { "pulumi.com/skipAwait": "true" } } : {}),
    },
    className: ingress.ingressClassName,
    rules: (ingress.paths ?? ["/"]).map((path) => ({
      host: ingress.host,
      path,
      pathType: kplus.HttpIngressPathType.PREFIX,
      backend: kplus.IngressBackend.fromService(service, { port }),
    })),
    tls: ingress.tls ? [{ hosts: [ingress.host!], secret: kplus.Secret.fromSecretName(chart, "tls", ingress.tls.secretName) }] : undefined,
  });
}

function addScalingPolicies(chart: Chart, spec: WebAppSpec): void {
  const namespace = namespaceOf(spec);
  if (spec.autoscaling) {
    const scaling = spec.autoscaling;
    new kube.KubeHorizontalPodAutoscalerV2(chart, "autoscaler", {
      metadata: { name: spec.name, namespace },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: spec.name },
        minReplicas: scaling.minReplicas ?? 1,
        maxReplicas: scaling.maxReplicas,
        metrics: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: scaling.targetCpuUtilization } },
          },
        ],
      },
    });
  }
  if (spec.podDisruptionBudget) {
    const budget = spec.podDisruptionBudget;
    new kube.KubePodDisruptionBudget(chart, "disruption-budget", {
      metadata: { name: spec.name, namespace },
      spec: {
        selector: { matchLabels: { app: spec.name } },
        minAvailable: budget.minAvailable === undefined ? undefined : intOrString(budget.minAvailable),
        maxUnavailable: budget.maxUnavailable === undefined ? undefined : intOrString(budget.maxUnavailable),
      },
    });
  }
}

/**
 * Renders a web app: Deployment, Service, optional Namespace, ConfigMap, PVC, Secret shapes,
 * Ingress (or Traefik routes for a canary), HPA and PDB. A pure function of its arguments.
 */
export function webAppManifests(spec: WebAppSpec, secrets: WebAppSecretShapes = {}): ManifestObject[] {
  const chart = newChart(spec.name);
  if (spec.createNamespace) new kplus.Namespace(chart, "namespace", { metadata: { name: namespaceOf(spec) } });
  const wiring = addPodInputs(chart, spec, secrets);
  addTrack(chart, spec, wiring, "stable");
  const service = addService(chart, spec, "stable");
  if (spec.canary) {
    addTrack(chart, spec, wiring, "canary");
    addCanaryRoutes(chart, spec, serviceNameOf(spec), addService(chart, spec, "canary").name);
  } else if (spec.ingress) {
    addIngress(chart, spec, service);
  }
  addScalingPolicies(chart, spec);
  return withShutdownDelay(renderChart(chart), spec.shutdownDelaySeconds);
}

/**
 * The shutdown delay as Kubernetes' own `preStop` sleep action (1.30 and later), so the images need no shell or sleep
 * binary. Set on the synthesized Deployments: cdk8s-plus-28's schema predates the sleep action and drops it.
 */
function withShutdownDelay(objects: ManifestObject[], seconds: number | undefined): ManifestObject[] {
  if (!seconds) return objects;
  return objects.map((o) => {
    if (o.kind !== "Deployment") return o;
    const deployment = o as ManifestObject & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    const containers = deployment.spec.template.spec.containers.map((c) => ({ ...c, lifecycle: { preStop: { sleep: { seconds } } } }));
    return { ...deployment, spec: { ...deployment.spec, template: { ...deployment.spec.template, spec: { ...deployment.spec.template.spec, containers } } } };
  });
}
