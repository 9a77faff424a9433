// The React Flow canvas: renders the design with its analysis, turns gestures into actions.
import {
  Background, type Connection, Controls, type Edge, type EdgeChange, MiniMap, type NodeChange, ReactFlow, useReactFlow,
  useStoreApi,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Analysis, ErrorOut, OpSpec } from "../api/types";
import { type Design, edgeId } from "../model/design";
import { inputPorts } from "../model/edit";
import { shape } from "../model/format";
import type { Action } from "../model/store";
import { LayerNode, type LayerFlowNode } from "./LayerNode";
import { ShapeEdge } from "./ShapeEdge";

const NODE_TYPES = { layer: LayerNode };
const EDGE_TYPES = { shape: ShapeEdge };
export const OP_MIME = "application/x-torchcanvas-op";

interface Props {
  design: Design;
  analysis: Analysis | null;
  specs: Record<string, OpSpec>;
  selected: string[];
  selectedEdges: string[];
  opened: number;
  dispatch: (a: Action) => void;
}

/** Flow nodes, rebuilt only where something changed. A node keeps the size React Flow measured:
 * a node object without `measured` loses its handle positions, and with them its edges. */
function useFlowNodes(p: Props, measuredTick: number): LayerFlowNode[] {
  const cache = useRef(new Map<string, { key: unknown[]; node: LayerFlowNode }>());
  const store = useStoreApi();
  return useMemo(() => {
    const lookup = store.getState().nodeLookup;
    const errors = new Map<string, ErrorOut>();
    for (const e of p.analysis?.errors ?? []) if (!errors.has(e.node)) errors.set(e.node, e);
    const selected = new Set(p.selected);
    const next = new Map<string, { key: unknown[]; node: LayerFlowNode }>();
    const nodes = p.design.nodes.map((n) => {
      const spec = p.specs[n.op];
      const inPorts = n.kind === "input" ? [] : inputPorts(spec, p.design, n.id);
      const result = p.analysis?.nodes[n.id];
      const m = lookup.get(n.id)?.measured;
      const measured = m?.width && m?.height ? { width: m.width, height: m.height } : undefined;
      const key = [n, spec, inPorts.length, result, errors.get(n.id), selected.has(n.id), measured?.width, measured?.height];
      const old = cache.current.get(n.id);
      if (old && old.key.every((v, k) => v === key[k])) {
        next.set(n.id, old);
        return old.node;
      }
      const node: LayerFlowNode = {
        id: n.id, type: "layer", position: { x: n.x, y: n.y }, selected: selected.has(n.id),
        measured,
        data: { node: n, category: spec?.category ?? "input", inPorts, outPorts: spec?.outputs ?? ["output"], result, error: errors.get(n.id) },
      };
      next.set(n.id, { key, node });
      return node;
    });
    cache.current = next;
    return nodes;
  }, [p.design, p.analysis, p.specs, p.selected, measuredTick, store]);
}

function useFlowEdges(p: Props): Edge[] {
  return useMemo(() => {
    const selected = new Set(p.selectedEdges);
    const byId = new Map(p.design.nodes.map((n) => [n.id, n]));
    return p.design.edges.map((e) => {
      const src = byId.get(e.source);
      const s = src?.kind === "input" ? src.shape : p.analysis?.nodes[e.source]?.outputs[e.sourcePort]?.shape;
      const id = edgeId(e);
      return {
        id, type: "shape", source: e.source, target: e.target, sourceHandle: `out${e.sourcePort}`, targetHandle: `in${e.targetPort}`,
        label: s ? shape(s) : undefined, selected: selected.has(id), className: s ? "" : "unknown",
      };
    });
  }, [p.design, p.analysis, p.selectedEdges]);
}

function port(handle: string | null | undefined): number {
  return Number((handle ?? "x0").slice(handle?.startsWith("out") ? 3 : 2)) || 0;
}

function nextSelection(current: string[], changes: (NodeChange<LayerFlowNode> | EdgeChange)[]): string[] | null {
  const set = new Set(current);
  let changed = false;
  for (const c of changes) {
    if (c.type !== "select") continue;
    changed = true;
    if (c.selected) set.add(c.id);
    else set.delete(c.id);
  }
  return changed ? [...set] : null;
}

export function Canvas(p: Props) {
  const { dispatch } = p;
  const flow = useReactFlow();
  const [measuredTick, setMeasuredTick] = useState(0);
  const nodes = useFlowNodes(p, measuredTick);
  const edges = useFlowEdges(p);

  // A newly opened design is fitted once React Flow has measured all its nodes.
  const fitFor = useRef(0);
  const store = useStoreApi();
  useEffect(() => {
    if (fitFor.current === p.opened) return;
    const lookup = store.getState().nodeLookup;
    const ready = p.design.nodes.every((n) => lookup.get(n.id)?.measured?.width);
    if (!ready) return;
    fitFor.current = p.opened;
    flow.fitView({ padding: 0.15, maxZoom: 1.1 }).then(() => { document.body.dataset.fitted = String(p.opened); });
  }, [p.opened, p.design, measuredTick, flow, store]);

  const onNodesChange = useCallback((changes: NodeChange<LayerFlowNode>[]) => {
    if (changes.some((c) => c.type === "dimensions")) setMeasuredTick((t) => t + 1);
    const moves = new Map<string, { x: number; y: number }>();
    let done = false;
    for (const c of changes) if (c.type === "position" && c.position) {
      moves.set(c.id, c.position);
      done ||= c.dragging === false;
    }
    if (moves.size) dispatch({ type: "move", moves, done });
    const sel = nextSelection(p.selected, changes);
    if (sel) dispatch({ type: "select", nodes: sel, edges: p.selectedEdges });
  }, [dispatch, p.selected, p.selectedEdges]);


  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const sel = nextSelection(p.selectedEdges, changes);
    if (sel) dispatch({ type: "select", nodes: p.selected, edges: sel });
  }, [dispatch, p.selected, p.selectedEdges]);

  const onConnect = useCallback((c: Connection) => dispatch({
    type: "connect", specs: p.specs,
    edge: { source: c.source, sourcePort: port(c.sourceHandle), target: c.target, targetPort: port(c.targetHandle) },
  }), [dispatch, p.specs]);

  const onDrop = useCallback((ev: React.DragEvent) => {
    ev.preventDefault();
    const spec = p.specs[ev.dataTransfer.getData(OP_MIME)];
    if (!spec) return;
    const at = flow.screenToFlowPosition({ x: ev.clientX, y: ev.clientY });
    dispatch({ type: "add", spec, x: at.x - 100, y: at.y - 30 });
  }, [dispatch, flow, p.specs]);

  return (
    <div className="canvas" onDrop={onDrop} onDragOver={(ev) => { ev.preventDefault(); ev.dataTransfer.dropEffect = "copy"; }}>
      <ReactFlow
        nodes={nodes} edges={edges} nodeTypes={NODE_TYPES} edgeTypes={EDGE_TYPES}
        onNodesChange={onNodesChange} onEdgesChange={onEdgesChange} onConnect={onConnect}
        deleteKeyCode={null} multiSelectionKeyCode={["Shift", "Meta", "Control"]} minZoom={0.1} maxZoom={2}
       
      >
        <Background gap={20} size={1} color="#d9dde3" />
        <MiniMap pannable zoomable nodeStrokeWidth={2} nodeColor={(n) => (n.data as LayerFlowNode["data"]).error ? "#e5484d" : "#9aa6b8"} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
