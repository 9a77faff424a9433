// The editor's state as plain data, and the pure conversions to and from graph format v1.
import type { DType, GraphV1, InputV1, NodeV1 } from "../api/types";

export interface EditorNode {
  id: string;
  kind: "input" | "layer";
  op: string; // "Input" for graph inputs
  args: Record<string, unknown>;
  trainable: boolean;
  init: Record<string, string>;
  shape: number[]; // inputs only
  dtype: DType; // inputs only
  x: number;
  y: number;
}

export interface EditorEdge {
  source: string;
  sourcePort: number;
  target: string;
  targetPort: number;
}

export interface Design {
  name: string;
  seed: number;
  nodes: EditorNode[];
  edges: EditorEdge[];
  outputs: string[];
}

export const INPUT_OP = "Input";

export function emptyDesign(): Design {
  return {
    name: "design",
    seed: 0,
    nodes: [inputNode("x", [8, 64], 0, 0)],
    edges: [],
    outputs: [],
  };
}

export function inputNode(id: string, shape: number[], x: number, y: number): EditorNode {
  return { id, kind: "input", op: INPUT_OP, args: {}, trainable: true, init: {}, shape, dtype: "float32", x, y };
}

export function layerNode(id: string, op: string, x: number, y: number, args: Record<string, unknown> = {}): EditorNode {
  return { id, kind: "layer", op, args, trainable: true, init: {}, shape: [], dtype: "float32", x, y };
}

/** "id" is port 0, "id:N" port N. */
export function parseRef(ref: string): { node: string; port: number } {
  const at = ref.lastIndexOf(":");
  if (at < 0) return { node: ref, port: 0 };
  const port = Number(ref.slice(at + 1));
  return Number.isInteger(port) ? { node: ref.slice(0, at), port } : { node: ref, port: 0 };
}

export function formatRef(node: string, port: number): string {
  return port === 0 ? node : `${node}:${port}`;
}

export function edgeId(e: EditorEdge): string {
  return `${e.target}:${e.targetPort}`;
}

function position(ui: Record<string, unknown> | null | undefined): { x: number; y: number } | null {
  if (!ui || typeof ui.x !== "number" || typeof ui.y !== "number") return null;
  return { x: ui.x, y: ui.y };
}

/** Graph format v1 -> editor state; `needsLayout` says some item had no `ui` position. */
export function graphToDesign(graph: GraphV1): { design: Design; needsLayout: boolean } {
  let needsLayout = false;
  const place = (ui: InputV1["ui"], k: number) => {
    const p = position(ui);
    if (!p) needsLayout = true;
    return p ?? { x: 0, y: k * 110 };
  };
  const nodes: EditorNode[] = [];
  graph.inputs.forEach((i, k) => {
    const p = place(i.ui, k);
    nodes.push({ ...inputNode(i.id, [...i.shape], p.x, p.y), dtype: i.dtype ?? "float32" });
  });
  const edges: EditorEdge[] = [];
  graph.nodes.forEach((n, k) => {
    const p = place(n.ui, graph.inputs.length + k);
    nodes.push({
      ...layerNode(n.id, n.op, p.x, p.y, { ...(n.args ?? {}) }),
      trainable: n.trainable ?? true,
      init: { ...(n.init ?? {}) },
    });
    (n.inputs ?? []).forEach((ref, targetPort) => {
      const { node, port } = parseRef(ref);
      edges.push({ source: node, sourcePort: port, target: n.id, targetPort });
    });
  });
  const design = { name: graph.name ?? "design", seed: graph.seed ?? 0, nodes, edges, outputs: [...graph.outputs] };
  return { design, needsLayout };
}

/** Output refs: the chosen ones nothing consumes, plus every layer whose outputs nobody uses.
 * So an output that gets wired onwards stops being one, and a new last layer becomes one. */
export function effectiveOutputs(design: Design): string[] {
  const ids = new Set(design.nodes.map((n) => n.id));
  const consumed = new Set(design.edges.map((e) => formatRef(e.source, e.sourcePort)));
  const used = new Set(design.edges.map((e) => e.source));
  const chosen = design.outputs.filter((r) => ids.has(parseRef(r).node) && !consumed.has(r));
  const covered = new Set(chosen.map((r) => parseRef(r).node));
  const sinks = design.nodes.filter((n) => n.kind === "layer" && !used.has(n.id) && !covered.has(n.id)).map((n) => n.id);
  const all = [...chosen, ...sinks];
  return all.length ? all : design.nodes.filter((n) => n.kind === "input").map((n) => n.id).slice(0, 1);
}

/** Editor state -> graph format v1 (inputs ordered by port; `ui` keeps the positions). */
export function designToGraph(design: Design): GraphV1 {
  const incoming = new Map<string, EditorEdge[]>();
  for (const e of design.edges) {
    const list = incoming.get(e.target) ?? [];
    list.push(e);
    incoming.set(e.target, list);
  }
  const inputs: InputV1[] = [];
  const nodes: NodeV1[] = [];
  for (const n of design.nodes) {
    const ui = { x: Math.round(n.x), y: Math.round(n.y) };
    if (n.kind === "input") {
      inputs.push({ id: n.id, shape: [...n.shape], dtype: n.dtype, ui });
      continue;
    }
    const refs = (incoming.get(n.id) ?? [])
      .sort((a, b) => a.targetPort - b.targetPort)
      .map((e) => formatRef(e.source, e.sourcePort));
    const node: NodeV1 = { id: n.id, op: n.op, inputs: refs, ui };
    if (Object.keys(n.args).length) node.args = { ...n.args };
    if (!n.trainable) node.trainable = false;
    if (Object.keys(n.init).length) node.init = { ...n.init };
    nodes.push(node);
  }
  return { version: 1, name: design.name, seed: design.seed, inputs, nodes, outputs: effectiveOutputs(design) };
}

/** The graph as the engine sees it (no `ui`): equal strings mean the same network. */
export function engineJson(graph: GraphV1): string {
  return JSON.stringify({
    ...graph,
    inputs: graph.inputs.map(({ ui: _ui, ...i }) => i),
    nodes: graph.nodes.map(({ ui: _ui, ...n }) => n),
  });
}
