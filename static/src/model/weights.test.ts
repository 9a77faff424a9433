import { describe, expect, it } from "vitest";
import { afterSave, afterUpload, mismatchRows, sourceKey, weightsFormat, weightsSource, withSource } from "./weights";

describe("uploaded weights", () => {
  it("reads the format from the file name", () => {
    expect(weightsFormat("model.safetensors")).toBe("safetensors");
    expect(weightsFormat("CKPT.PT")).toBe("pt");
    expect(weightsFormat("resnet.pth")).toBe("pt");
    expect(weightsFormat("design.json")).toBeNull();
    expect(weightsFormat("weights.pt.zip")).toBeNull();
  });

  it("adds design_id to a measuring request only when the uploaded weights are used", () => {
    const body = { graph: { version: 1 }, node: "fc1" };
    expect(withSource(body, null)).toEqual(body);
    expect(withSource(body, { designId: "abc", rev: 2 })).toEqual({ ...body, design_id: "abc" });
    expect(body).not.toHaveProperty("design_id"); // the body given is left as it was
  });

  it("keys the source so a new upload measures again", () => {
    expect(sourceKey(null)).toBe("seed");
    expect(sourceKey({ designId: "abc", rev: 1 })).not.toBe(sourceKey({ designId: "abc", rev: 2 }));
  });

  it("turns a 422 report into rows, shapes as lists", () => {
    const details = [
      { name: "fc.weight", problem: "shape", expected: [16, 16], got: [16, 8] },
      { name: "fc.bias", problem: "missing", expected: [16] },
      { name: "extra", problem: "dtype", expected: "torch.float32", got: "torch.int64" },
      "not a row", null, { problem: "no name" },
    ];
    expect(mismatchRows(details)).toEqual([
      { name: "fc.weight", problem: "shape", expected: "[16, 16]", got: "[16, 8]" },
      { name: "fc.bias", problem: "missing", expected: "[16]", got: "–" },
      { name: "extra", problem: "dtype", expected: "torch.float32", got: "torch.int64" },
    ]);
    expect(mismatchRows(undefined)).toEqual([]);
  });
});

describe("a saved design's weights", () => {
  const up = { tensors: 4, params: 100, rev: 1 };

  it("a first save has none; a later save of the same design keeps them", () => {
    expect(afterSave(null, { id: "a", version: 1 })).toEqual({ id: "a", version: 1, weights: null });
    expect(afterSave({ id: "a", version: 1, weights: up }, { id: "a", version: 2 })).toEqual({ id: "a", version: 2, weights: up });
    expect(afterSave({ id: "a", version: 1, weights: up }, { id: "b", version: 1 }).weights).toBeNull();
  });

  it("an accepted upload bumps the revision, for the design it was for only", () => {
    const s = { id: "a", version: 3, weights: null };
    const once = afterUpload(s, { id: "a", tensors: 2, params: 10 });
    expect(once).toEqual({ id: "a", version: 3, weights: { tensors: 2, params: 10, rev: 1 } });
    expect(afterUpload(once, { id: "a", tensors: 2, params: 10 })?.weights?.rev).toBe(2);
    expect(afterUpload(s, { id: "b", tensors: 2, params: 10 })).toBe(s);
    expect(afterUpload(null, { id: "a", tensors: 2, params: 10 })).toBeNull();
  });

  it("measures on the uploaded weights only when there are some and they are wanted", () => {
    expect(weightsSource(null, true)).toBeNull();
    expect(weightsSource({ id: "a", version: 1, weights: null }, true)).toBeNull();
    expect(weightsSource({ id: "a", version: 1, weights: up }, true)).toEqual({ designId: "a", rev: 1 });
    expect(weightsSource({ id: "a", version: 1, weights: up }, false)).toBeNull();
  });
});
