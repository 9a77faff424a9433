// Pure edits of the editor state: each takes a Design and returns a new one (or a refusal).
import type { OpSpec, PortSpec } from "../api/types";
import { type Design, type EditorEdge, type EditorNode, edgeId, formatRef, layerNode, parseRef } from "./design";

export type Refusal = { error: string };
export type Edited = { design: Design } | Refusal;

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Names nn.Module owns (a node id becomes a module attribute) and Python keywords.
const RESERVED = new Set(
  ("forward eval train training cuda cpu to half float double type apply modules children parameters buffers " +
    "state_dict zero_grad add_module register_buffer named_modules self None True False and as assert async " +
    "await break class continue def del elif else except finally for from global if import in is lambda " +
    "nonlocal not or pass raise return try while with yield").split(" "),
);

/** Why `id` cannot name a node, or null when it can. */
export function idProblem(id: string, design: Design, except?: string): string | null {
  if (!ID.test(id)) return "ids use letters, digits and _ and do not start with a digit";
  if (id.length > 64) return "ids are at most 64 characters";
  if (RESERVED.has(id)) return `"${id}" is reserved by Python or nn.Module`;
  if (design.nodes.some((n) => n.id === id && n.id !== except)) return `"${id}" is already used`;
  return null;
}

/** A readable unused id from the op's name: Linear -> linear1, linear2, ... */
export function freshId(design: Design, op: string, taken: Set<string> = new Set()): string {
  const base = op.replace(/[^A-Za-z0-9_]/g, "").toLowerCase() || "node";
  const used = new Set([...design.nodes.map((n) => n.id), ...taken]);
  for (let k = 1; ; k++) if (!used.has(`${base}${k}`)) return `${base}${k}`;
}

// Friendly first values for arguments a layer cannot do without (the form shows and edits them).
const STARTER_ARGS: Record<string, Record<string, unknown>> = {
  Linear: { out_features: 64 },
  Conv1d: { out_channels: 16, kernel_size: 3 },
  Conv2d: { out_channels: 16, kernel_size: 3, padding: 1 },
  Conv3d: { out_channels: 16, kernel_size: 3, padding: 1 },
  ConvTranspose1d: { out_channels: 16, kernel_size: 3 },
  ConvTranspose2d: { out_channels: 16, kernel_size: 2, stride: 2 },
  MaxPool1d: { kernel_size: 2 },
  MaxPool2d: { kernel_size: 2 },
  AvgPool1d: { kernel_size: 2 },
  AvgPool2d: { kernel_size: 2 },
  AdaptiveAvgPool1d: { output_size: 1 },
  AdaptiveAvgPool2d: { output_size: 1 },
  AdaptiveMaxPool2d: { output_size: 1 },
  LSTM: { hidden_size: 64, batch_first: true },
  GRU: { hidden_size: 64, batch_first: true },
  RNN: { hidden_size: 64, batch_first: true },
  MultiheadAttention: { num_heads: 4, batch_first: true },
  TransformerEncoderLayer: { nhead: 4, batch_first: true },
  TransformerDecoderLayer: { nhead: 4, batch_first: true },
  GroupNorm: { num_groups: 4 },
  Embedding: { num_embeddings: 1000, embedding_dim: 64 },
  Softmax: { dim: -1 },
  LogSoftmax: { dim: -1 },
  cat: { dim: 1 },
};

export function addLayer(design: Design, spec: OpSpec, x: number, y: number): { design: Design; id: string } {
  const id = freshId(design, spec.name);
  const node = layerNode(id, spec.name, x, y, { ...(STARTER_ARGS[spec.name] ?? {}) });
  return { design: { ...design, nodes: [...design.nodes, node] }, id };
}

/** The input ports a node shows: variadic ports grow by one past the last connected. */
export function inputPorts(spec: OpSpec | undefined, design: Design, id: string): PortSpec[] {
  if (!spec) return [];
  const last = spec.inputs[spec.inputs.length - 1];
  if (!last?.variadic) return spec.inputs;
  const connected = design.edges.filter((e) => e.target === id).length;
  const fixed = spec.inputs.slice(0, -1);
  const extra = Math.max(1, connected - fixed.length + 1);
  return [...fixed, ...Array.from({ length: extra }, (_, k) => ({ ...last, name: `${last.name}${k}` }))];
}

function reaches(design: Design, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const at = stack.pop()!;
    if (at === to) return true;
    if (seen.has(at)) continue;
    seen.add(at);
    for (const e of design.edges) if (e.source === at) stack.push(e.target);
  }
  return false;
}

/** Wire an output port to an input port; refuses loops and gaps with a reason a person can act on. */
export function connect(design: Design, edge: EditorEdge, specs: Record<string, OpSpec>): Edited {
  const target = design.nodes.find((n) => n.id === edge.target);
  if (!target || target.kind === "input") return { error: "an input node takes no connections" };
  if (edge.source === edge.target) return { error: "a layer cannot feed itself" };
  if (reaches(design, edge.target, edge.source))
    return { error: `${edge.target} already feeds ${edge.source}: this connection would make a cycle` };
  const ports = inputPorts(specs[target.op], design, target.id);
  const others = design.edges.filter((e) => !(e.target === edge.target && e.targetPort === edge.targetPort));
  for (let k = 0; k < edge.targetPort; k++) {
    if (!others.some((e) => e.target === edge.target && e.targetPort === k))
      return { error: `connect ${target.id}'s "${ports[k]?.name ?? k}" first: ports are filled in order` };
  }
  return { design: { ...design, edges: [...others, edge] } };
}

export function removeItems(design: Design, nodeIds: Set<string>, edgeIds: Set<string> = new Set()): Design {
  const edges = design.edges.filter(
    (e) => !nodeIds.has(e.source) && !nodeIds.has(e.target) && !edgeIds.has(edgeId(e)),
  );
  return {
    ...design,
    nodes: design.nodes.filter((n) => !nodeIds.has(n.id)),
    edges: compactPorts(edges),
    outputs: design.outputs.filter((r) => !nodeIds.has(parseRef(r).node)),
  };
}

/** After a removal, inputs close ranks so that ports stay filled in order. */
function compactPorts(edges: EditorEdge[]): EditorEdge[] {
  const byTarget = new Map<string, EditorEdge[]>();
  for (const e of edges) byTarget.set(e.target, [...(byTarget.get(e.target) ?? []), e]);
  const out: EditorEdge[] = [];
  for (const list of byTarget.values())
    list.sort((a, b) => a.targetPort - b.targetPort).forEach((e, k) => out.push({ ...e, targetPort: k }));
  return out;
}

export function updateNode(design: Design, id: string, change: Partial<EditorNode>): Design {
  return { ...design, nodes: design.nodes.map((n) => (n.id === id ? { ...n, ...change } : n)) };
}

/** Set (or, with undefined, remove) one argument. */
export function setArg(design: Design, id: string, name: string, value: unknown): Design {
  const node = design.nodes.find((n) => n.id === id);
  if (!node) return design;
  const args = { ...node.args };
  if (value === undefined) delete args[name];
  else args[name] = value;
  return updateNode(design, id, { args });
}

/** A suggested fix merges its args into the node's; a null value deletes that arg. */
export function applyFix(design: Design, id: string, fixArgs: Record<string, unknown>): Design {
  return Object.entries(fixArgs).reduce((d, [k, v]) => setArg(d, id, k, v === null ? undefined : v), design);
}

export function renameNode(design: Design, from: string, to: string): Edited {
  const problem = idProblem(to, design, from);
  if (problem) return { error: problem };
  const swap = (id: string) => (id === from ? to : id);
  return {
    design: {
      ...design,
      nodes: design.nodes.map((n) => (n.id === from ? { ...n, id: to } : n)),
      edges: design.edges.map((e) => ({ ...e, source: swap(e.source), target: swap(e.target) })),
      outputs: design.outputs.map((r) => {
        const { node, port } = parseRef(r);
        return formatRef(swap(node), port);
      }),
    },
  };
}

export interface Clip {
  nodes: EditorNode[];
  edges: EditorEdge[];
}

/** The selected nodes and the edges among them, for copy/paste and duplicate. */
export function copyItems(design: Design, ids: Set<string>): Clip {
  return {
    nodes: design.nodes.filter((n) => ids.has(n.id)),
    edges: design.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
  };
}

/** Paste a clip under fresh ids, shifted by (dx, dy); returns the new ids to select. */
export function pasteItems(design: Design, clip: Clip, dx = 40, dy = 40): { design: Design; ids: string[] } {
  const rename = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of clip.nodes) {
    const id = freshId(design, n.kind === "input" ? "x" : n.op, taken);
    taken.add(id);
    rename.set(n.id, id);
  }
  const nodes = clip.nodes.map((n) => ({ ...n, id: rename.get(n.id)!, x: n.x + dx, y: n.y + dy }));
  const edges = clip.edges.map((e) => ({ ...e, source: rename.get(e.source)!, target: rename.get(e.target)! }));
  return {
    design: { ...design, nodes: [...design.nodes, ...nodes], edges: [...design.edges, ...edges] },
    ids: nodes.map((n) => n.id),
  };
}

export function moveNodes(design: Design, moves: Map<string, { x: number; y: number }>): Design {
  return {
    ...design,
    nodes: design.nodes.map((n) => {
      const p = moves.get(n.id);
      return p ? { ...n, x: p.x, y: p.y } : n;
    }),
  };
}
