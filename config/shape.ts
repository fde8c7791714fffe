/**
 * Checks plain config JSON against a declared shape before anything reads it as a typed value: every field's type,
 * required fields, enumerations, and unknown fields (with the nearest known name as the fix). The typed checks
 * (spec/webapp-validation.ts) then see only well-typed values, so no input can crash them.
 */
import { Problems, isRecord } from "./problems";

/** A value's expected shape. A string array is an enumeration of allowed strings. */
export type Shape =
  | "string"
  | "integer"
  | "number"
  | "boolean"
  /** An integer or a string, as Kubernetes' IntOrString (e.g. maxSurge: 1 or "25%"). */
  | "integerOrString"
  | readonly string[]
  | { readonly list: Shape }
  | { readonly values: Shape }
  | ObjectShape
  | UnionShape;

export interface ObjectShape {
  readonly fields: Readonly<Record<string, Shape>>;
  readonly required?: readonly string[];
  /** Exactly one of these fields must be given. */
  readonly exactlyOne?: readonly string[];
}

/** One of several object shapes, picked by the value of its discriminating field (as `style` picks a mount's fields). */
export interface UnionShape {
  readonly discriminator: string;
  readonly variants: Readonly<Record<string, ObjectShape>>;
}

const typeNames: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  integerOrString: "a whole number or a string",
};

/** A value as a message shows it: JSON, cut short. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Edit distance, for suggesting the known name nearest to a misspelt one. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The fix for an unknown name: the nearest known one when it is close, else the list of known names. */
export function unknownNameFix(name: string, known: readonly string[]): string {
  const [nearest] = [...known].sort((x, y) => distance(name, x) - distance(name, y));
  return nearest !== undefined && distance(name, nearest) <= Math.max(2, Math.floor(nearest.length / 3)) ? `did you mean "${nearest}"?` : `use one of ${known.join(", ")}`;
}

type Enumeration = readonly string[];
type ListShape = { readonly list: Shape };
type ValuesShape = { readonly values: Shape };
// Array.isArray does not narrow a readonly array type, so each kind has its own guard.
const isEnumeration = (shape: Shape): shape is Enumeration => Array.isArray(shape);
const isList = (shape: Shape): shape is ListShape => typeof shape === "object" && "list" in shape;
const isValues = (shape: Shape): shape is ValuesShape => typeof shape === "object" && "values" in shape;
const isUnion = (shape: Shape): shape is UnionShape => typeof shape === "object" && "variants" in shape;

function checkScalar(value: unknown, shape: string, key: string, problems: Problems): boolean {
  const ok =
    shape === "string"
      ? typeof value === "string"
      : shape === "integer"
        ? Number.isInteger(value)
        : shape === "number"
          ? typeof value === "number" && Number.isFinite(value)
          : shape === "boolean"
            ? typeof value === "boolean"
            : Number.isInteger(value) || typeof value === "string";
  if (!ok) problems.add(key, `${show(value)} is not ${typeNames[shape]}`, `give ${typeNames[shape]}`);
  return ok;
}

function checkObject(value: Record<string, unknown>, shape: ObjectShape, key: string, problems: Problems): boolean {
  let ok = true;
  const known = Object.keys(shape.fields);
  for (const [name, item] of Object.entries(value)) {
    if (!(name in shape.fields)) {
      problems.add(`${key}.${name}`, "is not a known field", unknownNameFix(name, known));
      ok = false;
    } else if (item !== undefined) {
      ok = checkShape(item, shape.fields[name], `${key}.${name}`, problems) && ok;
    }
  }
  for (const name of shape.required ?? []) {
    if (value[name] === undefined) {
      problems.add(`${key}.${name}`, "is not set", `give ${name}`);
      ok = false;
    }
  }
  if (shape.exactlyOne && shape.exactlyOne.filter((name) => value[name] !== undefined).length !== 1) {
    problems.add(key, `needs exactly one of ${shape.exactlyOne.join(", ")}`, "give one of them");
    ok = false;
  }
  return ok;
}

function checkUnion(value: Record<string, unknown>, shape: UnionShape, key: string, problems: Problems): boolean {
  const kinds = Object.keys(shape.variants);
  const kind = value[shape.discriminator];
  if (kind === undefined) {
    problems.add(`${key}.${shape.discriminator}`, "is not set", `give ${shape.discriminator}: one of ${kinds.join(", ")}`);
    return false;
  }
  if (typeof kind !== "string" || !kinds.includes(kind)) {
    problems.add(`${key}.${shape.discriminator}`, `${show(kind)} is not allowed`, `use one of ${kinds.join(", ")}`);
    return false;
  }
  const variant = shape.variants[kind];
  return checkObject(value, { ...variant, fields: { [shape.discriminator]: "string", ...variant.fields } }, key, problems);
}

/** Checks VALUE against SHAPE; each problem names KEY's path. Returns true when the value has the shape. */
export function checkShape(value: unknown, shape: Shape, key: string, problems: Problems): boolean {
  if (typeof shape === "string") return checkScalar(value, shape, key, problems);
  if (isEnumeration(shape)) {
    const ok = typeof value === "string" && shape.includes(value);
    if (!ok) problems.add(key, `${show(value)} is not allowed`, `use one of ${shape.join(", ")}`);
    return ok;
  }
  if (isList(shape)) {
    if (!Array.isArray(value)) {
      problems.add(key, `${show(value)} is not a list`, "give a list, in [ ] or as YAML items");
      return false;
    }
    return value.map((item, i) => checkShape(item, shape.list, `${key}[${i}]`, problems)).every(Boolean);
  }
  if (!isRecord(value)) {
    const fix = isValues(shape) ? "give a map of names to values" : isUnion(shape) ? `give a map with ${shape.discriminator}` : `give a map with ${Object.keys(shape.fields).join(", ")}`;
    problems.add(key, `${show(value)} is not a map`, fix);
    return false;
  }
  if (isValues(shape))
    return Object.entries(value)
      .map(([name, item]) => checkShape(item, shape.values, `${key}.${name}`, problems))
      .every(Boolean);
  if (isUnion(shape)) return checkUnion(value, shape, key, problems);
  return checkObject(value, shape, key, problems);
}
