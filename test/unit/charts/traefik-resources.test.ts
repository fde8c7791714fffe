// The specs of the Traefik custom resources the charts emit use only fields Traefik v3 defines, with their types.
// The apiserver cannot say so: the charts' Traefik CRDs keep unknown fields under `spec` (traefik-crds.ts), so its
// strict dry run (test/support/local-apiserver.test.sh) checks only these objects' top level and metadata.
import { renderedCharts } from "./fixtures";

/** A field's shape: a scalar type, one of some strings, a list of one shape, or an object's fields ("name?": optional). */
type Shape = "string" | "integer" | "boolean" | "int-or-string" | { readonly oneOf: readonly string[] } | readonly [Shape] | { readonly [field: string]: Shape };

// Reduced from Traefik v3's CRDs (traefik.io/v1alpha1) to the fields the charts may write.
const serviceRef: Shape = {
  name: "string",
  "namespace?": "string",
  "kind?": { oneOf: ["Service", "TraefikService"] },
  "port?": "int-or-string",
  "weight?": "integer",
  "scheme?": "string",
  "passHostHeader?": "boolean",
};
const specs: Record<string, Shape> = {
  IngressRoute: {
    "entryPoints?": ["string"],
    routes: [{ "kind?": { oneOf: ["Rule"] }, match: "string", "priority?": "integer", "services?": [serviceRef], "middlewares?": [{ name: "string", "namespace?": "string" }] }],
    "tls?": { "secretName?": "string", "certResolver?": "string" },
  },
  TraefikService: { "weighted?": { "services?": [serviceRef] } },
  Middleware: { "basicAuth?": { secret: "string", "realm?": "string", "removeHeader?": "boolean" } },
};

/** What is wrong with a value of a shape, one line each, at its JSON pointer. */
function problems(value: unknown, shape: Shape, at: string): string[] {
  const fails = (ok: boolean, type: string) => (ok ? [] : [`${at}: must be ${type}`]);
  if (shape === "string") return fails(typeof value === "string", "a string");
  if (shape === "integer") return fails(Number.isInteger(value), "an integer");
  if (shape === "boolean") return fails(typeof value === "boolean", "a boolean");
  if (shape === "int-or-string") return fails(Number.isInteger(value) || typeof value === "string", "an integer or a string");
  if (Array.isArray(shape)) return Array.isArray(value) ? value.flatMap((v, i) => problems(v, shape[0], `${at}/${i}`)) : [`${at}: must be a list`];
  if ("oneOf" in shape && Array.isArray(shape.oneOf)) return fails(shape.oneOf.includes(value as string), `one of ${shape.oneOf.join(", ")}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${at}: must be an object`];
  const fields = new Map(Object.entries(shape as Record<string, Shape>).map(([k, s]) => [k.replace(/\?$/, ""), { shape: s, required: !k.endsWith("?") }]));
  const object = value as Record<string, unknown>;
  return [
    ...Object.keys(object)
      .filter((k) => !fields.has(k))
      .map((k) => `${at}: unknown field "${k}"`),
    ...[...fields].flatMap(([k, f]) => (k in object ? problems(object[k], f.shape, `${at}/${k}`) : f.required ? [`${at}: missing field "${k}"`] : [])),
  ];
}

function specProblems(object: { kind: string; spec?: unknown }): string[] {
  const shape = specs[object.kind];
  return shape ? problems(object.spec, shape, "/spec") : [`${object.kind}: no spec shape known for this kind`];
}

const traefikObjects = () =>
  Object.values(renderedCharts).flatMap((render) => render().filter((o) => o.apiVersion.startsWith("traefik.io/")) as { kind: string; metadata: { name: string }; spec?: any }[]);

test("every Traefik custom resource of every chart has a spec of Traefik's fields", () => {
  const objects = traefikObjects();
  expect([...new Set(objects.map((o) => o.kind))].sort()).toEqual(["IngressRoute", "Middleware", "TraefikService"]);
  expect(objects.flatMap((o) => specProblems(o).map((p) => `${o.kind} ${o.metadata.name} ${p}`))).toEqual([]);
});

test("a misspelt, wrongly typed or missing route field is reported", () => {
  const route = traefikObjects().find((o) => o.kind === "IngressRoute" && o.spec.routes[0].services)!;
  const r = route.spec.routes[0];
  r.matches = r.match;
  delete r.match;
  r.services[0].port = true;
  expect(specProblems(route)).toEqual(['/spec/routes/0: unknown field "matches"', '/spec/routes/0: missing field "match"', "/spec/routes/0/services/0/port: must be an integer or a string"]);
});

test("a kind without a known spec shape is reported", () => {
  expect(specProblems({ kind: "IngressRouteTCP", spec: {} })).toEqual(["IngressRouteTCP: no spec shape known for this kind"]);
});
