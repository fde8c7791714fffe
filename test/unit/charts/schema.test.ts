import { renderedCharts } from "./fixtures";
import { schemaProblems } from "./k8s-schema";
import { webAppManifests } from "../../../components/charts/webapp-chart";
import { redis } from "./fixtures";

describe("every manifest object matches the Kubernetes API schema (strict fields)", () => {
  for (const [chart, render] of Object.entries(renderedCharts)) {
    test(chart, () => {
      const problems = render().flatMap((object) =>
        schemaProblems(object).map((problem) => `${object.kind} ${object.metadata.name} ${problem}`),
      );
      expect(problems).toEqual([]);
    });
  }
});

describe("the schema check catches what the API server would reject", () => {
  const deployment = () => webAppManifests(redis).find((o) => o.kind === "Deployment")!;

  test("a misspelled field", () => {
    const object = deployment() as any;
    object.spec.template.spec.containers[0].imagePullPolcy = "Always";
    expect(schemaProblems(object)).toContain('/spec/template/spec/containers/0: unknown field "imagePullPolcy"');
  });

  test("a wrongly typed field", () => {
    const object = deployment() as any;
    object.spec.replicas = "2";
    expect(schemaProblems(object)).toContain("/spec/replicas: must be integer");
  });

  test("a malformed quantity", () => {
    const object = deployment() as any;
    object.spec.template.spec.containers[0].resources = { limits: { memory: "1 GB" } };
    expect(schemaProblems(object).join("\n")).toMatch(/resources\/limits\/memory/);
  });

  test("a misspelled Traefik route field", () => {
    const route = renderedCharts["webapp-hello-world-header-canary"]().find((o) => o.kind === "IngressRoute") as any;
    route.spec.routes[0].matches = route.spec.routes[0].match;
    expect(schemaProblems(route)).toContain('/spec/routes/0: unknown field "matches"');
  });

  test("a kind without a known schema", () => {
    expect(schemaProblems({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })).toEqual([
      "example.com/v1/Widget: no schema known for this kind",
    ]);
  });
});
