import { describe, expect, it } from "vitest";
import type { GraphV1 } from "../api/types";
import { emptyDesign } from "./design";
import { graphOf, initialState, reducer } from "./store";

const GRAPH: GraphV1 = {
  version: 1, name: "g",
  inputs: [{ id: "x", shape: [2, 4], ui: { x: 0, y: 0 } }],
  nodes: [{ id: "a", op: "ReLU", inputs: ["x"], ui: { x: 0, y: 100 } }],
  outputs: ["a"],
};

describe("editor reducer", () => {
  it("opens a design as one undo step", () => {
    const s = reducer(initialState(emptyDesign()), { type: "open", graph: GRAPH });
    expect(graphOf(s).nodes.map((n) => n.id)).toEqual(["a"]);
    expect(graphOf(reducer(s, { type: "undo" })).nodes).toEqual([]);
  });

  it("makes a whole drag one undo step back to where it started", () => {
    let s = reducer(initialState(emptyDesign()), { type: "open", graph: GRAPH });
    for (const y of [110, 150, 190]) s = reducer(s, { type: "move", moves: new Map([["a", { x: 0, y }]]), done: false });
    s = reducer(s, { type: "move", moves: new Map([["a", { x: 0, y: 200 }]]), done: true });
    expect(graphOf(s).nodes[0].ui).toEqual({ x: 0, y: 200 });
    const back = reducer(s, { type: "undo" });
    expect(graphOf(back).nodes[0].ui).toEqual({ x: 0, y: 100 });
    expect(graphOf(reducer(back, { type: "undo" })).nodes).toEqual([]);
  });

  it("refuses a bad rename with a notice and keeps the design", () => {
    const s = reducer(initialState(emptyDesign()), { type: "open", graph: GRAPH });
    const r = reducer(s, { type: "rename", from: "a", to: "x" });
    expect(r.notice?.text).toBe('"x" is already used');
    expect(r.history).toBe(s.history);
  });
});
