import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ManifestObject } from "./charts/chart-app";

type ObjectFactory = (name: string, object: ManifestObject, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** Chart JSON already has the API shape of each class's Args, so one cast here is enough. */
function typed<Args>(Class: new (name: string, args: Args, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource): ObjectFactory {
  return (name, object, opts) => new Class(name, object as unknown as Args, opts);
}

/**
 * Kinds the charts emit, each mapped to its typed Pulumi class so previews diff field by field and
 * the provider awaits readiness per kind. Anything else (Traefik's CRs) is a CustomResource.
 */
const factories: Record<string, ObjectFactory> = {
  "v1/Namespace": typed(k8s.core.v1.Namespace),
  "v1/ConfigMap": typed(k8s.core.v1.ConfigMap),
  "v1/Secret": typed(k8s.core.v1.Secret),
  "v1/Service": typed(k8s.core.v1.Service),
  "v1/ServiceAccount": typed(k8s.core.v1.ServiceAccount),
  "v1/PersistentVolumeClaim": typed(k8s.core.v1.PersistentVolumeClaim),
  "v1/PersistentVolume": typed(k8s.core.v1.PersistentVolume),
  "v1/Node": typed(k8s.core.v1.Node),
  "apps/v1/Deployment": typed(k8s.apps.v1.Deployment),
  "apps/v1/DaemonSet": typed(k8s.apps.v1.DaemonSet),
  "networking.k8s.io/v1/Ingress": typed(k8s.networking.v1.Ingress),
  "networking.k8s.io/v1/IngressClass": typed(k8s.networking.v1.IngressClass),
  "autoscaling/v2/HorizontalPodAutoscaler": typed(k8s.autoscaling.v2.HorizontalPodAutoscaler),
  "policy/v1/PodDisruptionBudget": typed(k8s.policy.v1.PodDisruptionBudget),
  "rbac.authorization.k8s.io/v1/ClusterRole": typed(k8s.rbac.v1.ClusterRole),
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": typed(k8s.rbac.v1.ClusterRoleBinding),
  "rbac.authorization.k8s.io/v1/Role": typed(k8s.rbac.v1.Role),
  "rbac.authorization.k8s.io/v1/RoleBinding": typed(k8s.rbac.v1.RoleBinding),
  "storage.k8s.io/v1/StorageClass": typed(k8s.storage.v1.StorageClass),
  "apiextensions.k8s.io/v1/CustomResourceDefinition": typed(k8s.apiextensions.v1.CustomResourceDefinition),
};

const customResource = typed(k8s.apiextensions.CustomResource);

/** A built-in kind without a class here would get a type token no provider knows (`kubernetes:v1:KIND`). */
function factoryOf(object: ManifestObject): ObjectFactory {
  const key = `${object.apiVersion}/${object.kind}`;
  const factory = factories[key];
  if (factory) return factory;
  const group = object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "";
  if (!group.includes(".") || group.endsWith(".k8s.io")) {
    throw new Error(`${key} has no typed class in components/k8s-objects.ts: add it to factories`);
  }
  return customResource;
}

/** Options for turning chart objects into Pulumi resources. */
export interface RegisterOptions {
  /** The component that owns the objects. */
  readonly parent: pulumi.Resource;
  /** Provider of the target cluster. */
  readonly provider: k8s.Provider;
  /**
   * Data of the Secrets the chart declared without data, by Secret name. Each value must be a
   * Pulumi secret; it becomes the Secret's `stringData`, so it never appears in the chart.
   */
  readonly secretData?: Record<string, pulumi.Output<Record<string, string>>>;
  /** Resources every object waits for, e.g. the Traefik component whose CRDs a canary needs. */
  readonly dependsOn?: readonly pulumi.Resource[];
  /**
   * The name an object's resource had before `resourceName` named it, if it had another: it becomes an alias (same
   * parent and type), so a stack that holds the object under that name keeps it instead of replacing it.
   */
  readonly previousName?: (object: ManifestObject) => string | undefined;
}

/** A chart object and the Pulumi resource created for it. */
export interface RegisteredObject {
  readonly object: ManifestObject;
  readonly resource: pulumi.CustomResource;
}

/** Pulumi name of an object: unique per component, readable, and stable across runs. */
export function resourceName(componentName: string, object: ManifestObject): string {
  const { name, namespace } = object.metadata;
  return namespace ? `${componentName}/${namespace}/${name}` : `${componentName}/${name}`;
}

function withSecretData(object: ManifestObject, secretData: RegisterOptions["secretData"]): ManifestObject {
  if (object.apiVersion !== "v1" || object.kind !== "Secret") return object;
  const data = secretData?.[object.metadata.name];
  if (!data) throw new Error(`Secret "${object.metadata.name}" has no data: pass it in secretData.`);
  return { ...object, stringData: pulumi.secret(data) };
}

/**
 * Creates one typed Pulumi resource per chart object, parented to the component. Objects wait for
 * a Namespace and for CRDs created in the same batch, since the provider does not order them.
 */
export function registerObjects(componentName: string, objects: ManifestObject[], options: RegisterOptions): RegisteredObject[] {
  const extraDependsOn = [...(options.dependsOn ?? [])];
  const baseOpts = { parent: options.parent, provider: options.provider };
  const registered: RegisteredObject[] = [];
  const create = (object: ManifestObject, dependsOn: pulumi.Resource[]) => {
    const factory = factoryOf(object);
    const previous = options.previousName?.(object);
    const resource = factory(resourceName(componentName, object), withSecretData(object, options.secretData), {
      ...baseOpts,
      dependsOn,
      ...(previous === undefined ? {} : { aliases: [{ name: previous }] }),
    });
    registered.push({ object, resource });
    return resource;
  };

  const isFoundation = (o: ManifestObject) => o.kind === "Namespace" || o.kind === "CustomResourceDefinition";
  const foundations = objects.filter(isFoundation).map((object) => create(object, extraDependsOn));
  const afterFoundations = [...extraDependsOn, ...foundations];
  for (const object of objects.filter((o) => !isFoundation(o))) create(object, afterFoundations);
  return registered;
}

/**
 * A component's `dependsOn`, as a list that its children can wait for too: Pulumi does not pass a
 * component's dependencies down to its children.
 */
export function dependsOnList(opts: pulumi.ComponentResourceOptions | undefined): pulumi.Resource[] {
  const deps = opts?.dependsOn;
  if (deps === undefined) return [];
  const list = Array.isArray(deps) ? deps : [deps];
  if (!list.every((dep) => pulumi.Resource.isInstance(dep))) {
    throw new Error("dependsOn: pass resources (or an array of resources), not outputs or promises of them.");
  }
  return list as pulumi.Resource[];
}

/**
 * Lists every field given as a plain string where a Pulumi secret is required. TypeScript already
 * rejects strings for `pulumi.Output<string>` fields; this catches JavaScript callers and casts.
 */
export function plainSecretProblems(fields: Record<string, unknown>): string[] {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined && !pulumi.Output.isInstance(value))
    .map(([field]) => `${field}: a plain value was given where a secret is required; ` + `pass pulumi.secret(value) or config.requireSecret("<key>") instead.`);
}
