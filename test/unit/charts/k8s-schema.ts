import Ajv, { ErrorObject } from "ajv";
import * as path from "path";
import { ManifestObject } from "../../../components/charts/chart-app";
import { traefikSchemas } from "./traefik-schemas";

/**
 * Validates manifests against the Kubernetes API's JSON schemas, strictly.
 *
 * kubernetes-models 4.3.1 (the last CommonJS release with raw schemas) ships the Kubernetes 1.27.1
 * OpenAPI definitions, one module per definition, each handing its schema to
 * `@kubernetes-models/validate`'s `register()`. We capture those schemas instead of using that
 * package's validator, because the definitions leave `additionalProperties` open: here every
 * object with declared properties is closed, so a typo such as `imagePullPolcy` fails.
 */

type Register = (id: string, schema: object) => void;
const registry: { register: Register } = require("@kubernetes-models/validate");

/** OpenAPI definition id of each kind the charts emit. */
const definitions: Record<string, string> = {
  "v1/Namespace": "io.k8s.api.core.v1.Namespace",
  "v1/ConfigMap": "io.k8s.api.core.v1.ConfigMap",
  "v1/Secret": "io.k8s.api.core.v1.Secret",
  "v1/Service": "io.k8s.api.core.v1.Service",
  "v1/ServiceAccount": "io.k8s.api.core.v1.ServiceAccount",
  "v1/PersistentVolumeClaim": "io.k8s.api.core.v1.PersistentVolumeClaim",
  "apps/v1/Deployment": "io.k8s.api.apps.v1.Deployment",
  "apps/v1/DaemonSet": "io.k8s.api.apps.v1.DaemonSet",
  "networking.k8s.io/v1/Ingress": "io.k8s.api.networking.v1.Ingress",
  "networking.k8s.io/v1/IngressClass": "io.k8s.api.networking.v1.IngressClass",
  "autoscaling/v2/HorizontalPodAutoscaler": "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
  "policy/v1/PodDisruptionBudget": "io.k8s.api.policy.v1.PodDisruptionBudget",
  "rbac.authorization.k8s.io/v1/ClusterRole": "io.k8s.api.rbac.v1.ClusterRole",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "io.k8s.api.rbac.v1.ClusterRoleBinding",
  "storage.k8s.io/v1/StorageClass": "io.k8s.api.storage.v1.StorageClass",
  "apiextensions.k8s.io/v1/CustomResourceDefinition":
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
};

/** The module defining an id: io.k8s.api.apps.v1.Deployment lives in IoK8sApiAppsV1Deployment.js. */
function moduleOf(id: string): string {
  return id
    .split(/[.-]/)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
}

/**
 * The package drops the `x-kubernetes-*` fields from JSONSchemaProps (its generator skips `x-`
 * keys), but the API server accepts them in CRD schemas: put back the ones of Kubernetes 1.27.
 */
const jsonSchemaPropsId = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps";
const kubernetesExtensions = {
  "x-kubernetes-embedded-resource": { type: "boolean" },
  "x-kubernetes-int-or-string": { type: "boolean" },
  "x-kubernetes-list-map-keys": { type: "array", items: { type: "string" } },
  "x-kubernetes-list-type": { type: "string" },
  "x-kubernetes-map-type": { type: "string" },
  "x-kubernetes-preserve-unknown-fields": { type: "boolean" },
  "x-kubernetes-validations": { type: "array", items: { type: "object" } },
};

function withKubernetesExtensions(id: string, schema: object): object {
  if (id !== jsonSchemaPropsId) return schema;
  const props = schema as { properties: object };
  return { ...props, properties: { ...props.properties, ...kubernetesExtensions } };
}

/** Same pattern the API server uses for resource quantities ("250m", "1Gi", "1.5"). */
const quantity = /^[+-]?(\d+|\d+\.\d*|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/;

/** Closes every object schema that declares properties and says nothing about extra ones. */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (typeof schema !== "object" || schema === null) return schema;
  const closed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // Under `properties`, keys are field names, not keywords: close each field's schema.
    closed[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as object).map(([field, sub]) => [field, closeObjects(sub)]))
        : closeObjects(value);
  }
  if ("properties" in closed && !("additionalProperties" in closed)) closed.additionalProperties = false;
  return closed;
}

function buildValidator(): Ajv {
  const captured = new Map<string, object>();
  const original = registry.register;
  registry.register = (id, schema) => void captured.set(id, withKubernetesExtensions(id, schema));
  try {
    const schemasDir = path.join(path.dirname(require.resolve("kubernetes-models")), "_schemas");
    for (const id of Object.values(definitions)) require(path.join(schemasDir, `${moduleOf(id)}.js`)).addSchema();
  } finally {
    registry.register = original;
  }
  // strict: false because the definitions use OpenAPI's `nullable` next to `oneOf`.
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat("quantity", quantity);
  for (const format of ["int32", "int64", "double", "byte", "date-time"]) ajv.addFormat(format, true);
  for (const [id, schema] of captured) ajv.addSchema(closeObjects(schema) as object, id);
  for (const [kind, schema] of Object.entries(traefikSchemas)) ajv.addSchema(schema, kind);
  return ajv;
}

let validator: Ajv | undefined;

function schemaIdOf(object: ManifestObject): string | undefined {
  const key = `${object.apiVersion}/${object.kind}`;
  return key in traefikSchemas ? key : definitions[key];
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || "/";
  if (error.keyword === "additionalProperties") {
    return `${where}: unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  return `${where}: ${error.message}`;
}

/** Schema problems of one object, one line each; empty when valid. Unknown kinds are a problem too. */
export function schemaProblems(object: ManifestObject): string[] {
  validator ??= buildValidator();
  const id = schemaIdOf(object);
  if (!id) return [`${object.apiVersion}/${object.kind}: no schema known for this kind`];
  const validate = validator.getSchema(id);
  if (!validate) return [`${object.apiVersion}/${object.kind}: schema ${id} was not loaded`];
  if (validate(object)) return [];
  // oneOf [ref, null] reports the null branch too; keep the informative errors only.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== "oneOf" && !(e.keyword === "type" && e.params.type === "null"));
  return [...new Set(errors.map(describe))];
}
