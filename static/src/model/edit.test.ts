import { describe, expect, it } from "vitest";
import type { OpSpec } from "../api/types";
import { type Design, designToGraph, emptyDesign } from "./design";
import { addLayer, applyFix, connect, copyItems, idProblem, inputPorts, pasteItems, removeItems, renameNode } from "./edit";
import { commit, redo, startHistory, undo } from "./history";

const port = (name: string, optional = false, variadic = false) => ({ name, optional, variadic });
const spec = (name: string, inputs = [port("input")], outputs = ["output"]): OpSpec => ({
  name, category: "x", kind: "module", doc: "", inputs, outputs, args: [],
});
const SPECS: Record<string, OpSpec> = {
  Linear: spec("Linear"),
  ReLU: spec("ReLU"),
  LSTM: spec("LSTM", [port("input"), port("h_0", true), port("c_0", true)], ["output", "h_n", "c_n"]),
  cat: spec("cat", [port("tensors", false, true)]),
};

function ok(r: { design: Design } | { error: string }): Design {
  if ("error" in r) throw new Error(r.error);
  return r.design;
}

function chain(): Design {
  let d = emptyDesign();
  const a = addLayer(d, SPECS.Linear, 0, 100);
  d = ok(connect(a.design, { source: "x", sourcePort: 0, target: a.id, targetPort: 0 }, SPECS));
  const b = addLayer(d, SPECS.ReLU, 0, 200);
  return ok(connect(b.design, { source: a.id, sourcePort: 0, target: b.id, targetPort: 0 }, SPECS));
}

describe("edits", () => {
  it("adds layers with fresh ids and starter args, and wires them", () => {
    const g = designToGraph(chain());
    expect(g.nodes.map((n) => [n.id, n.inputs])).toEqual([["linear1", ["x"]], ["relu1", ["linear1"]]]);
    expect(g.nodes[0].args).toEqual({ out_features: 64 });
    expect(g.outputs).toEqual(["relu1"]);
  });

  it("refuses cycles and self loops with a reason", () => {
    const d = chain();
    expect(connect(d, { source: "relu1", sourcePort: 0, target: "linear1", targetPort: 0 }, SPECS)).toEqual({
      error: "linear1 already feeds relu1: this connection would make a cycle",
    });
    expect("error" in connect(d, { source: "relu1", sourcePort: 0, target: "relu1", targetPort: 0 }, SPECS)).toBe(true);
    expect("error" in connect(d, { source: "relu1", sourcePort: 0, target: "x", targetPort: 0 }, SPECS)).toBe(true);
  });

  it("replaces the edge on an occupied port and refuses gaps", () => {
    let d = chain();
    d = ok(connect(d, { source: "x", sourcePort: 0, target: "relu1", targetPort: 0 }, SPECS));
    expect(d.edges.filter((e) => e.target === "relu1")).toEqual([{ source: "x", sourcePort: 0, target: "relu1", targetPort: 0 }]);
    const l = addLayer(d, SPECS.LSTM, 0, 0);
    const r = connect(l.design, { source: "x", sourcePort: 0, target: l.id, targetPort: 2 }, SPECS);
    expect(r).toEqual({ error: `connect ${l.id}'s "input" first: ports are filled in order` });
  });

  it("grows variadic ports and closes gaps on removal", () => {
    let d = chain();
    const c = addLayer(d, SPECS.cat, 0, 300);
    d = c.design;
    expect(inputPorts(SPECS.cat, d, c.id).length).toBe(1);
    d = ok(connect(d, { source: "x", sourcePort: 0, target: c.id, targetPort: 0 }, SPECS));
    d = ok(connect(d, { source: "linear1", sourcePort: 0, target: c.id, targetPort: 1 }, SPECS));
    d = ok(connect(d, { source: "relu1", sourcePort: 0, target: c.id, targetPort: 2 }, SPECS));
    expect(inputPorts(SPECS.cat, d, c.id).map((p) => p.name)).toEqual(["tensors0", "tensors1", "tensors2", "tensors3"]);
    d = removeItems(d, new Set(["linear1"]));
    expect(designToGraph(d).nodes.find((n) => n.id === c.id)!.inputs).toEqual(["x", "relu1"]);
  });

  it("applies a fix: merges args and deletes nulls", () => {
    let d = chain();
    d = applyFix(d, "linear1", { in_features: 20, out_features: null });
    expect(d.nodes.find((n) => n.id === "linear1")!.args).toEqual({ in_features: 20 });
  });

  it("renames a node and every reference to it, refusing bad ids", () => {
    const d = ok(renameNode(chain(), "linear1", "fc"));
    expect(designToGraph(d).nodes.map((n) => [n.id, n.inputs])).toEqual([["fc", ["x"]], ["relu1", ["fc"]]]);
    expect(renameNode(d, "fc", "1abc")).toHaveProperty("error");
    expect(renameNode(d, "fc", "relu1")).toEqual({ error: '"relu1" is already used' });
    expect(idProblem("forward", d)).toMatch(/reserved/);
  });

  it("pastes copies under fresh ids with their inner edges", () => {
    const d = chain();
    const { design, ids } = pasteItems(d, copyItems(d, new Set(["linear1", "relu1"])));
    expect(ids).toEqual(["linear2", "relu2"]);
    expect(design.edges).toContainEqual({ source: "linear2", sourcePort: 0, target: "relu2", targetPort: 0 });
    expect(design.nodes.find((n) => n.id === "linear2")!.y).toBe(140);
  });

  it("undoes and redoes", () => {
    const d0 = emptyDesign();
    let h = startHistory(d0);
    const d1 = chain();
    h = commit(h, d1);
    expect(undo(h).present).toBe(d0);
    expect(redo(undo(h)).present).toBe(d1);
    expect(commit(h, h.present)).toBe(h);
  });
});
