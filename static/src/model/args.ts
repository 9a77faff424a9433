// Text <-> argument values for the inspector's form, by the registry's argument types.
import type { ArgSpec } from "../api/types";

export type Parsed = { value: unknown } | { error: string };

function numbers(text: string, integer: boolean): number[] | null {
  const parts = text.split(/[\s,x×]+/).filter(Boolean);
  const out = parts.map(Number);
  if (!parts.length || out.some((v) => !Number.isFinite(v) || (integer && !Number.isInteger(v)))) return null;
  return out;
}

/** Parse what a person typed; empty text means "leave it to the default". */
export function parseArg(spec: ArgSpec, text: string): Parsed {
  const t = text.trim();
  if (t === "") return { value: undefined };
  if (spec.nullable && /^(none|null)$/i.test(t)) return { value: null };
  const integer = spec.type.startsWith("int");
  // Numeric args may also take named values (Conv padding: 'same' or 'valid').
  if (spec.choices?.includes(t)) return { value: t };
  if (spec.type === "str") return { value: t };
  if (spec.type === "bool") return /^(true|false)$/i.test(t) ? { value: /^true$/i.test(t) } : { error: "true or false" };
  const nums = numbers(t, integer);
  if (!nums) return { error: integer ? "whole numbers, e.g. 3 or 3, 3" : "numbers, e.g. 0.5" };
  if (spec.type === "int_list") return { value: nums };
  if (nums.length === 1) return rangeCheck(spec, nums[0]);
  if (spec.type === "int" || spec.type === "float") return { error: "one number" };
  return { value: nums };
}

function rangeCheck(spec: ArgSpec, v: number): Parsed {
  if (spec.min !== null && v < spec.min) return { error: `at least ${spec.min}` };
  if (spec.max !== null && v > spec.max) return { error: `at most ${spec.max}` };
  return { value: spec.type === "int_list" ? [v] : v };
}

export function formatArg(v: unknown): string {
  if (v === undefined) return "";
  if (v === null) return "None";
  if (Array.isArray(v)) return v.join(", ");
  return String(v);
}
