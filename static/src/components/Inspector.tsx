// The inspector: a typed form for the selected node, made from its op's argument schema.
import { useEffect, useState } from "react";
import type { ArgSpec, DType, NodeAnalysis, OpSpec } from "../api/types";
import { formatArg, parseArg } from "../model/args";
import type { EditorNode } from "../model/design";
import { count, shape } from "../model/format";
import { useDispatch } from "./context";

const INITS = ["", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal",
  "trunc_normal", "normal", "uniform", "zeros", "ones"];
const DTYPES: DType[] = ["float32", "float16", "bfloat16", "int64"];

/** A text field that edits only when what was typed parses; it shows why otherwise. */
function TextField({ value, placeholder, parse, onCommit, testid }: {
  value: string; placeholder?: string; testid: string;
  parse: (t: string) => { value: unknown } | { error: string }; onCommit: (v: unknown) => void;
}) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const parsed = parse(draft);
  const commit = () => { if ("value" in parsed && draft !== value) onCommit(parsed.value); };
  return (
    <span className="field">
      <input value={draft} placeholder={placeholder} data-testid={testid} className={"error" in parsed ? "invalid" : ""}
        onChange={(e) => setDraft(e.target.value)} onBlur={commit}
        onKeyDown={(e) => { if (e.key === "Enter") commit(); if (e.key === "Escape") setDraft(value); }} />
      {"error" in parsed && <span className="hint bad">{parsed.error}</span>}
    </span>
  );
}

function ArgField({ node, arg, resolved }: { node: EditorNode; arg: ArgSpec; resolved: unknown }) {
  const dispatch = useDispatch();
  const set = (value: unknown) => {
    performance.mark("tc:edit"); // bench/canvas_bench.py times from here to the repaint
    dispatch({ type: "setArg", id: node.id, name: arg.name, value });
  };
  const current = node.args[arg.name];
  const testid = `arg-${arg.name}`;
  if (arg.type === "bool") {
    const on = (current ?? arg.default) === true;
    return <input type="checkbox" checked={on} data-testid={testid} onChange={(e) => set(e.target.checked)} />;
  }
  if (arg.choices && arg.type === "str") {
    return (
      <select value={current === undefined ? "" : formatArg(current)} data-testid={testid}
        onChange={(e) => set(e.target.value === "" ? undefined : arg.choices!.find((c) => formatArg(c) === e.target.value))}>
        <option value="">default ({formatArg(arg.default)})</option>
        {arg.choices.map((c) => <option key={formatArg(c)} value={formatArg(c)}>{formatArg(c)}</option>)}
      </select>
    );
  }
  const named = arg.choices ? ` or ${arg.choices.join(" / ")}` : "";
  const placeholder = arg.inferred && resolved !== undefined ? `inferred: ${formatArg(resolved)}`
    : arg.required ? `required${named}` : `default: ${formatArg(arg.default)}${named}`;
  return <TextField value={formatArg(current)} placeholder={placeholder} testid={testid} parse={(t) => parseArg(arg, t)} onCommit={set} />;
}

function InputForm({ node }: { node: EditorNode }) {
  const dispatch = useDispatch();
  const parseShape = (t: string) => {
    const dims = t.split(/[\s,x×]+/).filter(Boolean).map(Number);
    return dims.length && dims.every((d) => Number.isInteger(d) && d >= 1) ? { value: dims } : { error: "positive whole numbers, e.g. 32, 3, 32, 32" };
  };
  return (
    <div className="form">
      <label>shape</label>
      <TextField value={node.shape.join(", ")} testid="input-shape" parse={parseShape}
        onCommit={(v) => dispatch({ type: "update", id: node.id, change: { shape: v as number[] } })} />
      <label>dtype</label>
      <select value={node.dtype} onChange={(e) => dispatch({ type: "update", id: node.id, change: { dtype: e.target.value as DType } })}>
        {DTYPES.map((d) => <option key={d}>{d}</option>)}
      </select>
    </div>
  );
}

function Training({ node, result }: { node: EditorNode; result?: NodeAnalysis }) {
  const dispatch = useDispatch();
  if (!result || result.params === 0) return null;
  const setInit = (param: string, fn: string) => {
    const init = { ...node.init };
    if (fn) init[param] = fn; else delete init[param];
    dispatch({ type: "update", id: node.id, change: { init } });
  };
  return (
    <div className="form">
      <label>trainable</label>
      <input type="checkbox" checked={node.trainable} data-testid="trainable"
        onChange={(e) => dispatch({ type: "update", id: node.id, change: { trainable: e.target.checked } })} />
      {["weight", "bias"].map((param) => (
        <span key={param} className="contents">
          <label>init {param}</label>
          <select value={node.init[param] ?? ""} onChange={(e) => setInit(param, e.target.value)}>
            {INITS.map((f) => <option key={f} value={f}>{f || "PyTorch default"}</option>)}
          </select>
        </span>
      ))}
    </div>
  );
}

export function Inspector({ node, spec, result }: { node: EditorNode | undefined; spec?: OpSpec; result?: NodeAnalysis }) {
  const dispatch = useDispatch();
  if (!node) return <div className="inspector muted">Select a node to edit it. Drag layers in from the left, or press / to search.</div>;
  return (
    <div className="inspector" data-testid="inspector">
      <div className="form">
        <label>id</label>
        <TextField value={node.id} testid="node-id" parse={(t) => ({ value: t.trim() })}
          onCommit={(v) => dispatch({ type: "rename", from: node.id, to: String(v) })} />
      </div>
      <h4>{node.kind === "input" ? "Input" : node.op}</h4>
      {spec?.doc && <p className="doc">{spec.doc}</p>}
      {node.kind === "input" ? <InputForm node={node} /> : (
        <div className="form">
          {spec?.args.map((a) => (
            <span key={a.name} className="contents">
              <label title={a.doc}>{a.name}{a.inferred && <em className="tag">inferred</em>}</label>
              <ArgField node={node} arg={a} resolved={result?.args?.[a.name]} />
            </span>
          ))}
        </div>
      )}
      <Training node={node} result={result} />
      {result && (
        <dl className="facts">
          <dt>outputs</dt><dd>{result.outputs.map((o) => shape(o.shape)).join("  ") || "–"}</dd>
          <dt>params</dt><dd>{count(result.params)} ({count(result.trainable_params)} trainable)</dd>
        </dl>
      )}
    </div>
  );
}
