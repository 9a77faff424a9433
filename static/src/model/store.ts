// The editor's whole state and its reducer: plain data in, plain data out (components dispatch).
import type { GraphV1, OpSpec } from "../api/types";
import { type Design, type EditorEdge, type EditorNode, designToGraph, edgeId, graphToDesign } from "./design";
import * as edit from "./edit";
import { type History, commit, redo, replace, startHistory, undo } from "./history";
import { autoLayout } from "./layout";

export interface EditorState {
  history: History;
  selected: string[]; // node ids
  selectedEdges: string[];
  clip: edit.Clip | null;
  notice: { text: string; at: number } | null;
  opened: number; // bumps when a whole design is opened (the canvas fits the view)
  dragFrom: Design | null; // the design before the drag in progress, for its single undo step
}

export type Action =
  | { type: "open"; graph: GraphV1 }
  | { type: "new"; design: Design }
  | { type: "add"; spec: OpSpec; x: number; y: number; from?: string }
  | { type: "connect"; edge: EditorEdge; specs: Record<string, OpSpec> }
  | { type: "move"; moves: Map<string, { x: number; y: number }>; done: boolean }
  | { type: "select"; nodes: string[]; edges: string[] }
  | { type: "delete" }
  | { type: "deleteEdges"; ids: string[] }
  | { type: "setArg"; id: string; name: string; value: unknown }
  | { type: "update"; id: string; change: Partial<EditorNode> }
  | { type: "rename"; from: string; to: string }
  | { type: "fix"; id: string; args: Record<string, unknown> }
  | { type: "setDesign"; change: Partial<Pick<Design, "name" | "seed" | "outputs">> }
  | { type: "copy" }
  | { type: "paste" }
  | { type: "duplicate" }
  | { type: "layout" }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "notice"; text: string | null };

export function initialState(design: Design): EditorState {
  return { history: startHistory(design), selected: [], selectedEdges: [], clip: null, notice: null, opened: 1, dragFrom: null };
}

function withDesign(s: EditorState, next: Design): EditorState {
  return { ...s, history: commit(s.history, next) };
}

function refuse(s: EditorState, text: string): EditorState {
  return { ...s, notice: { text, at: Date.now() } };
}

function openGraph(s: EditorState, graph: GraphV1): EditorState {
  const { design, needsLayout } = graphToDesign(graph);
  const laid = needsLayout ? autoLayout(design) : design;
  return { ...withDesign(s, laid), selected: [], selectedEdges: [], opened: s.opened + 1 };
}

function addNode(s: EditorState, a: Extract<Action, { type: "add" }>): EditorState {
  const { design, id } = edit.addLayer(s.history.present, a.spec, a.x, a.y);
  let next = design;
  if (a.from && a.spec.inputs.length) {
    const wired = edit.connect(next, { source: a.from, sourcePort: 0, target: id, targetPort: 0 }, {});
    if ("design" in wired) next = wired.design;
  }
  return { ...withDesign(s, next), selected: [id], selectedEdges: [] };
}

function pasteClip(s: EditorState, clip: edit.Clip | null): EditorState {
  if (!clip || !clip.nodes.length) return s;
  const { design, ids } = edit.pasteItems(s.history.present, clip);
  return { ...withDesign(s, design), selected: ids, selectedEdges: [] };
}

function outcome(s: EditorState, r: edit.Edited): EditorState {
  return "error" in r ? refuse(s, r.error) : withDesign(s, r.design);
}

/** A drag is one undo step: frames replace the present, the drop records the pre-drag design. */
function moveStep(s: EditorState, moves: Map<string, { x: number; y: number }>, done: boolean): EditorState {
  const from = s.dragFrom ?? s.history.present;
  const moved = moves.size ? edit.moveNodes(s.history.present, moves) : s.history.present;
  if (!done) return { ...s, dragFrom: from, history: replace(s.history, moved) };
  if (moved === from) return { ...s, dragFrom: null };
  return { ...s, dragFrom: null, history: commit({ ...s.history, present: from }, moved) };
}

export function reducer(s: EditorState, a: Action): EditorState {
  const d = s.history.present;
  switch (a.type) {
    case "open": return openGraph(s, a.graph);
    case "new": return { ...withDesign(s, a.design), selected: [], opened: s.opened + 1 };
    case "add": return addNode(s, a);
    case "connect": return outcome(s, edit.connect(d, a.edge, a.specs));
    case "move": return moveStep(s, a.moves, a.done);
    case "select": return { ...s, selected: a.nodes, selectedEdges: a.edges };
    case "delete": {
      const next = edit.removeItems(d, new Set(s.selected), new Set(s.selectedEdges));
      return { ...withDesign(s, next), selected: [], selectedEdges: [] };
    }
    case "deleteEdges": return withDesign(s, edit.removeItems(d, new Set(), new Set(a.ids)));
    case "setArg": return withDesign(s, edit.setArg(d, a.id, a.name, a.value));
    case "update": return withDesign(s, edit.updateNode(d, a.id, a.change));
    case "rename": {
      const r = edit.renameNode(d, a.from, a.to);
      return "error" in r ? refuse(s, r.error) : { ...withDesign(s, r.design), selected: [a.to] };
    }
    case "fix": return withDesign(s, edit.applyFix(d, a.id, a.args));
    case "setDesign": return withDesign(s, { ...d, ...a.change });
    case "copy": return { ...s, clip: edit.copyItems(d, new Set(s.selected)) };
    case "paste": return pasteClip(s, s.clip);
    case "duplicate": return pasteClip(s, edit.copyItems(d, new Set(s.selected)));
    case "layout": return withDesign(s, autoLayout(d));
    case "undo": return { ...s, history: undo(s.history) };
    case "redo": return { ...s, history: redo(s.history) };
    case "notice": return { ...s, notice: a.text ? { text: a.text, at: Date.now() } : null };
  }
}

export const graphOf = (s: EditorState): GraphV1 => designToGraph(s.history.present);
export { edgeId };
