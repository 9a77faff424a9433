import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { GraphV1 } from "../api/types";
import { designToGraph, effectiveOutputs, emptyDesign, graphToDesign, parseRef } from "./design";

const GALLERY = join(import.meta.dirname, "../../../server/gallery/designs");
const templates = readdirSync(GALLERY)
  .filter((f) => f.endsWith(".json"))
  .map((f) => [f, JSON.parse(readFileSync(join(GALLERY, f), "utf8")).design as GraphV1] as const);

describe("graph <-> canvas", () => {
  it("finds the gallery", () => expect(templates.length).toBeGreaterThanOrEqual(8));

  it.each(templates)("%s survives a round trip unchanged", (_, graph) => {
    const { design, needsLayout } = graphToDesign(graph);
    expect(needsLayout).toBe(false);
    const back = designToGraph(design);
    // The gallery leaves `trainable` and `init` out when they are defaults, as the converter does.
    expect(back).toEqual(JSON.parse(JSON.stringify(graph)));
  });

  it("turns multi-port references into edges on the right ports", () => {
    const seq = templates.find(([f]) => f === "seq2seq.json")![1];
    const { design } = graphToDesign(seq);
    const into = design.edges.filter((e) => e.target === "decoder").sort((a, b) => a.targetPort - b.targetPort);
    expect(into.map((e) => [e.source, e.sourcePort, e.targetPort])).toEqual([
      ["tgt", 0, 0],
      ["encoder", 1, 1],
      ["encoder", 2, 2],
    ]);
    expect(designToGraph(design).nodes.find((n) => n.id === "decoder")!.inputs).toEqual(["tgt", "encoder:1", "encoder:2"]);
  });

  it("asks for a layout when positions are missing", () => {
    const graph: GraphV1 = { version: 1, inputs: [{ id: "x", shape: [2, 3] }], nodes: [{ id: "a", op: "ReLU", inputs: ["x"] }], outputs: ["a"] };
    const { design, needsLayout } = graphToDesign(graph);
    expect(needsLayout).toBe(true);
    expect(design.nodes.map((n) => n.kind)).toEqual(["input", "layer"]);
  });

  it("keeps trainable and init only when they differ from the defaults", () => {
    const graph: GraphV1 = {
      version: 1,
      inputs: [{ id: "x", shape: [2, 3], dtype: "float32", ui: { x: 0, y: 0 } }],
      nodes: [{ id: "fc", op: "Linear", args: { out_features: 2 }, inputs: ["x"], trainable: false, init: { weight: "zeros" }, ui: { x: 0, y: 100 } }],
      outputs: ["fc"],
    };
    const back = designToGraph(graphToDesign(graph).design);
    expect(back.nodes[0]).toMatchObject({ trainable: false, init: { weight: "zeros" } });
  });

  it("falls back to the unconsumed layers when no output is chosen", () => {
    const d = emptyDesign();
    expect(effectiveOutputs(d)).toEqual(["x"]);
    const graph = graphToDesign({ version: 1, inputs: [{ id: "x", shape: [1] }], nodes: [{ id: "a", op: "ReLU", inputs: ["x"] }, { id: "b", op: "ReLU", inputs: ["a"] }], outputs: ["gone"] }).design;
    expect(effectiveOutputs(graph)).toEqual(["b"]);
  });

  it("drops a chosen output once it feeds a layer, and keeps unconsumed extra ports", () => {
    const lstm = graphToDesign(templates.find(([f]) => f === "lstm.json")![1]).design;
    expect(effectiveOutputs(lstm)).toEqual(["head", "lstm:1", "lstm:2"]);
    const grown = {
      ...lstm,
      nodes: [...lstm.nodes, { ...lstm.nodes[2], id: "head2" }],
      edges: [...lstm.edges, { source: "head", sourcePort: 0, target: "head2", targetPort: 0 }],
    };
    expect(effectiveOutputs(grown)).toEqual(["lstm:1", "lstm:2", "head2"]);
  });

  it("parses references", () => {
    expect(parseRef("lstm:2")).toEqual({ node: "lstm", port: 2 });
    expect(parseRef("x")).toEqual({ node: "x", port: 0 });
  });
});
