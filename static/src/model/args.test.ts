import { describe, expect, it } from "vitest";
import type { ArgSpec } from "../api/types";
import { formatArg, parseArg } from "./args";

const arg = (type: ArgSpec["type"], extra: Partial<ArgSpec> = {}): ArgSpec => ({
  name: "a", type, default: null, required: false, nullable: false, choices: null, min: null, max: null, doc: "", inferred: false, ...extra,
});

describe("argument text", () => {
  it("parses ints, tuples and lists", () => {
    expect(parseArg(arg("int"), "64")).toEqual({ value: 64 });
    expect(parseArg(arg("int"), "6.5")).toHaveProperty("error");
    expect(parseArg(arg("int"), "3, 3")).toEqual({ error: "one number" });
    expect(parseArg(arg("int_or_tuple"), "3, 3")).toEqual({ value: [3, 3] });
    expect(parseArg(arg("int_or_tuple"), "3x3")).toEqual({ value: [3, 3] });
    expect(parseArg(arg("int_or_tuple"), "3")).toEqual({ value: 3 });
    expect(parseArg(arg("int_list"), "256")).toEqual({ value: [256] });
    expect(parseArg(arg("float"), "0.5")).toEqual({ value: 0.5 });
  });

  it("treats empty as unset and None as null when allowed", () => {
    expect(parseArg(arg("int"), " ")).toEqual({ value: undefined });
    expect(parseArg(arg("int", { nullable: true }), "None")).toEqual({ value: null });
    expect(parseArg(arg("int"), "None")).toHaveProperty("error");
  });

  it("takes a named choice where a number also fits", () => {
    const padding = arg("int_or_tuple", { choices: ["same", "valid"] });
    expect(parseArg(padding, "same")).toEqual({ value: "same" });
    expect(parseArg(padding, "1")).toEqual({ value: 1 });
    expect(parseArg(padding, "wide")).toHaveProperty("error");
  });

  it("checks ranges", () => {
    expect(parseArg(arg("float", { min: 0, max: 1 }), "1.5")).toEqual({ error: "at most 1" });
    expect(parseArg(arg("int", { min: 1 }), "0")).toEqual({ error: "at least 1" });
  });

  it("formats back", () => {
    expect(formatArg([3, 3])).toBe("3, 3");
    expect(formatArg(null)).toBe("None");
    expect(formatArg(undefined)).toBe("");
  });
});
