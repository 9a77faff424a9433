// One node on the canvas: op, id, key arguments, a handle per port, output shapes, params, error.
import { Handle, type Node, type NodeProps, Position, useUpdateNodeInternals } from "@xyflow/react";
import { memo, useEffect, useRef } from "react";
import type { ErrorOut, NodeAnalysis, PortSpec } from "../api/types";
import type { EditorNode } from "../model/design";
import { argValue, count, shape } from "../model/format";
import { NODE_WIDTH } from "../model/layout";
import { useDispatch } from "./context";

export type LayerData = {
  node: EditorNode;
  category: string;
  inPorts: PortSpec[];
  outPorts: string[];
  result: NodeAnalysis | undefined;
  error: ErrorOut | undefined;
};
export type LayerFlowNode = Node<LayerData, "layer">;

function spread(k: number, n: number): React.CSSProperties {
  return { left: `${((k + 1) / (n + 1)) * 100}%` };
}

function keyArgs(node: EditorNode): string {
  if (node.kind === "input") return `${node.dtype}`;
  return Object.entries(node.args)
    .slice(0, 3)
    .map(([k, v]) => `${k}=${argValue(v)}`)
    .join("  ");
}

function FixButton({ id, error }: { id: string; error: ErrorOut }) {
  const dispatch = useDispatch();
  const args = error.fix?.args;
  if (!args) return null;
  const text = Object.entries(args).map(([k, v]) => (v === null ? `remove ${k}` : `${k}=${argValue(v)}`)).join(", ");
  return (
    <button className="fix nodrag" data-testid={`fix-${id}`} onClick={() => dispatch({ type: "fix", id, args })}>
      Fix: {text}
    </button>
  );
}

function Ports({ node, inPorts, outPorts, result }: Omit<LayerData, "category" | "error">) {
  const outs = node.kind === "input" ? ["output"] : outPorts;
  const named = outs.length > 1;
  return (
    <>
      {inPorts.map((p, k) => (
        <Handle key={`in${k}`} id={`in${k}`} type="target" position={Position.Top} style={spread(k, inPorts.length)}
          className={p.optional ? "optional" : ""} title={p.optional ? `${p.name} (optional)` : p.name}>
          {inPorts.length > 1 && <span className="port-name in">{p.name}</span>}
        </Handle>
      ))}
      {outs.map((name, k) => {
        const out = node.kind === "input" ? node.shape : result?.outputs[k]?.shape;
        return (
          <Handle key={`out${k}`} id={`out${k}`} type="source" position={Position.Bottom} style={spread(k, outs.length)} title={name}>
            {named && <span className="port-name out">{name}</span>}
            {named && out && <span className="port-shape">{shape(out)}</span>}
          </Handle>
        );
      })}
    </>
  );
}

/** Wide enough that each port's name and shape have room (three ports: about 100 px each). */
function nodeWidth(data: LayerData): number {
  return Math.max(NODE_WIDTH, 104 * Math.max(data.inPorts.length, data.outPorts.length));
}

function LayerNodeView({ id, data, selected }: NodeProps<LayerFlowNode>) {
  const { node, result, error, category } = data;
  // Handles appear when the registry loads or a variadic port grows: React Flow must re-read them.
  const updateInternals = useUpdateNodeInternals();
  const ports = `${data.inPorts.length}/${data.outPorts.length}`;
  const seen = useRef(ports);
  useEffect(() => {
    if (seen.current === ports) return; // a new node is measured anyway; only a change needs the call
    seen.current = ports;
    updateInternals(id);
  }, [id, ports, updateInternals]);
  const status = error ? "error" : result?.status === "blocked" ? "blocked" : "ok";
  const outShape = node.kind === "input" ? node.shape : data.outPorts.length === 1 ? result?.outputs[0]?.shape : null;
  return (
    <div className={`tc-node ${node.kind} cat-${category} ${status}${selected ? " selected" : ""}${data.inPorts.length > 1 ? " multi-in" : ""}${data.outPorts.length > 1 ? " multi-out" : ""}`}
      data-testid={`node-${node.id}`} data-status={status} style={{ width: nodeWidth(data) }}>
      <Ports node={node} inPorts={data.inPorts} outPorts={data.outPorts} result={result} />
      <div className="head">
        <span className="op">{node.kind === "input" ? "Input" : node.op}</span>
        <span className="id">{node.id}</span>
      </div>
      <div className="args">{keyArgs(node) || "\u00a0"}</div>
      <div className="foot">
        {outShape !== null && <span className="shape" data-testid={`shape-${node.id}`}>{shape(outShape ?? null)}</span>}
        {result && result.params > 0 && <span className="params">{count(result.params)} params</span>}
        {!node.trainable && <span className="frozen">frozen</span>}
      </div>
      {error && (
        <div className="message nodrag" data-testid={`error-${node.id}`}>
          {error.message}
          <FixButton id={node.id} error={error} />
        </div>
      )}
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
