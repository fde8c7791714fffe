import { Yaml } from "cdk8s";
import * as fs from "fs";
import * as path from "path";
import { renderedCharts } from "./fixtures";

/** Each chart's YAML is compared with test/golden/<chart>.yaml; UPDATE_GOLDEN=1 rewrites the files. */
const goldenDir = path.join(__dirname, "..", "..", "golden");
const update = process.env.UPDATE_GOLDEN === "1";

describe("charts match their golden files", () => {
  for (const [chart, render] of Object.entries(renderedCharts)) {
    test(chart, () => {
      const file = path.join(goldenDir, `${chart}.yaml`);
      const yaml = Yaml.stringify(...render());
      if (update) fs.writeFileSync(file, yaml);
      expect(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : `(missing ${file}; run with UPDATE_GOLDEN=1)`).toBe(yaml);
    });
  }
});

test("charts are pure: rendering twice gives the same objects", () => {
  for (const render of Object.values(renderedCharts)) expect(render()).toEqual(render());
});

test("no chart carries Secret data: values are attached as Pulumi secrets outside the chart", () => {
  const secrets = Object.values(renderedCharts).flatMap((render) => render().filter((o) => o.kind === "Secret"));
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(Object.keys(secret).sort()).toEqual(["apiVersion", "kind", "metadata", "type"]);
  }
});
