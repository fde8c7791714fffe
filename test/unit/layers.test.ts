// Data flows one way: config → spec ← components. The spec layer (shared types and their validators) imports
// neither side; config never imports components and components never import config.
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const LAYERS = ["spec", "config", "components"] as const;
const FORBIDDEN: Record<(typeof LAYERS)[number], readonly string[]> = { spec: ["config", "components"], config: ["components"], components: ["config"] };

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** The layer each relative import of a file lands in. */
function importedLayers(file: string): string[] {
  const specifiers = [...fs.readFileSync(file, "utf8").matchAll(/(?:from|import)\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
  return specifiers.map((s) => path.relative(ROOT, path.resolve(path.dirname(file), s)).split(path.sep)[0]);
}

test.each(LAYERS)("%s imports only the layers below it", (layer) => {
  const files = sources(path.join(ROOT, layer));
  expect(files.length).toBeGreaterThan(3);
  const crossings = files.flatMap((f) =>
    importedLayers(f)
      .filter((l) => FORBIDDEN[layer].includes(l))
      .map((l) => `${path.relative(ROOT, f)} → ${l}`),
  );
  expect(crossings).toEqual([]);
});
