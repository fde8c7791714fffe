/**
 * Strict JSON schemas for the parts of the Traefik v3 custom resources the charts emit, reduced
 * from Traefik's own CRDs (traefik.io/v1alpha1). The CRDs installed in the cluster keep unknown
 * fields, so without these a misspelled route field would pass every check.
 */

const objectMeta = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: {
    name: { type: "string" },
    namespace: { type: "string" },
    labels: { type: "object", additionalProperties: { type: "string" } },
    annotations: { type: "object", additionalProperties: { type: "string" } },
  },
};

const intOrString = { anyOf: [{ type: "integer" }, { type: "string" }] };

const serviceRef = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: {
    name: { type: "string" },
    namespace: { type: "string" },
    kind: { enum: ["Service", "TraefikService"] },
    port: intOrString,
    weight: { type: "integer", minimum: 0 },
    scheme: { type: "string" },
    passHostHeader: { type: "boolean" },
  },
};

function customResource(kind: string, spec: object): object {
  return {
    type: "object",
    required: ["apiVersion", "kind", "metadata", "spec"],
    additionalProperties: false,
    properties: {
      apiVersion: { const: "traefik.io/v1alpha1" },
      kind: { const: kind },
      metadata: objectMeta,
      spec,
    },
  };
}

export const traefikSchemas: Record<string, object> = {
  "traefik.io/v1alpha1/IngressRoute": customResource("IngressRoute", {
    type: "object",
    required: ["routes"],
    additionalProperties: false,
    properties: {
      entryPoints: { type: "array", items: { type: "string" } },
      routes: {
        type: "array",
        items: {
          type: "object",
          required: ["match"],
          additionalProperties: false,
          properties: {
            kind: { enum: ["Rule"] },
            match: { type: "string" },
            priority: { type: "integer" },
            services: { type: "array", items: serviceRef },
            middlewares: {
              type: "array",
              items: {
                type: "object",
                required: ["name"],
                additionalProperties: false,
                properties: { name: { type: "string" }, namespace: { type: "string" } },
              },
            },
          },
        },
      },
      tls: {
        type: "object",
        additionalProperties: false,
        properties: { secretName: { type: "string" }, certResolver: { type: "string" } },
      },
    },
  }),
  "traefik.io/v1alpha1/TraefikService": customResource("TraefikService", {
    type: "object",
    additionalProperties: false,
    properties: {
      weighted: {
        type: "object",
        additionalProperties: false,
        properties: { services: { type: "array", items: serviceRef } },
      },
    },
  }),
  "traefik.io/v1alpha1/Middleware": customResource("Middleware", {
    type: "object",
    additionalProperties: false,
    properties: {
      basicAuth: {
        type: "object",
        required: ["secret"],
        additionalProperties: false,
        properties: { secret: { type: "string" }, realm: { type: "string" }, removeHeader: { type: "boolean" } },
      },
    },
  }),
};
