// The weights panel: pictures of the selected node's weights, their stats, gradient norms and
// activation statistics, all measured on the server with the design's seed.
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { GraphV1 } from "../api/types";
import type { EditorNode } from "../model/design";

type Row = Record<string, unknown>;
const VIEWS = ["filters", "matrix", "histogram"] as const;

/** The node's entry in a measurement answer ({nodes: {id: ...}} or {id: ...}). */
function entry(body: Record<string, unknown> | null, id: string): Row | null {
  if (!body) return null;
  const nodes = (body.nodes ?? body) as Record<string, unknown>;
  const found = nodes[id];
  return found && typeof found === "object" ? (found as Row) : null;
}

function fmt(v: unknown): string {
  if (typeof v === "number") return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(+v.toFixed(4));
  if (Array.isArray(v)) return `[${v.join(", ")}]`;
  return v === null || v === undefined ? "–" : String(v);
}

/** One table of scalar fields; nested rows (per parameter) become one line each. */
function Table({ title, row, testid }: { title: string; row: Row | null; testid: string }) {
  if (!row) return null;
  const lines = Object.entries(row).filter(([, v]) => v && typeof v === "object" && !Array.isArray(v)) as [string, Row][];
  const rows: [string, Row][] = lines.length ? lines : [["", row]];
  const cols = [...new Set(rows.flatMap(([, r]) => Object.keys(r).filter((k) => typeof r[k] !== "object" || Array.isArray(r[k]) && k === "shape")))];
  return (
    <div className="measure" data-testid={testid}>
      <h4>{title}</h4>
      <table>
        <thead><tr><th />{cols.map((c) => <th key={c}>{c}</th>)}</tr></thead>
        <tbody>{rows.map(([name, r]) => (
          <tr key={name}><th>{name}</th>{cols.map((c) => <td key={c} className={c === "flag" || c === "warning" ? (r[c] ? "bad" : "") : ""}>{fmt(r[c])}</td>)}</tr>
        ))}</tbody>
      </table>
    </div>
  );
}

function useImage(graph: GraphV1, node: string, view: string, on: boolean) {
  const [url, setUrl] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const body = JSON.stringify(graph);
  useEffect(() => {
    if (!on) return;
    const ctl = new AbortController();
    let made: string | null = null;
    setFailure(null);
    api.weightImage({ graph: JSON.parse(body), node, param: "weight", view }, ctl.signal)
      .then((b) => { made = URL.createObjectURL(b); setUrl(made); })
      .catch((e) => { if (!ctl.signal.aborted) { setUrl(null); setFailure(e.message); } });
    return () => { ctl.abort(); if (made) URL.revokeObjectURL(made); };
  }, [body, node, view, on]);
  return { url, failure };
}

export function WeightsPanel({ graph, node, valid }: { graph: GraphV1; node: EditorNode | undefined; valid: boolean }) {
  const [view, setView] = useState<(typeof VIEWS)[number]>("histogram");
  const [measured, setMeasured] = useState<Record<string, Record<string, unknown> | null>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const id = node?.id ?? "";
  const hasWeights = !!node && node.kind === "layer";
  const image = useImage(graph, id, view, valid && hasWeights);
  const measure = async () => {
    setFailure(null);
    const body = { graph, seed: graph.seed };
    try {
      const [stats, gradients, activations] = await Promise.all([
        api.measure("weights/stats", body), api.measure("gradients", { ...body, loss: "sum" }), api.measure("activations", body),
      ]);
      setMeasured({ stats, gradients, activations });
    } catch (e) {
      setFailure((e as Error).message);
    }
  };
  if (!node) return <div className="panel muted">Select a node to see its weights, gradients and activations.</div>;
  if (!valid) return <div className="panel muted">Fix the design's errors to measure it.</div>;
  return (
    <div className="panel weights" data-testid="weights-panel">
      <div className="views">
        {VIEWS.map((v) => <button key={v} className={v === view ? "on" : ""} onClick={() => setView(v)}>{v}</button>)}
      </div>
      {image.url && <img className="weight-image" src={image.url} alt={`${view} of ${id}.weight`} data-testid="weight-image" />}
      {image.failure && <p className="muted">{image.failure}</p>}
      <button className="primary" onClick={measure} data-testid="measure-run">Measure stats, gradients, activations</button>
      {failure && <p className="bad">{failure}</p>}
      <Table title="Weights" row={entry(measured.stats ?? null, id)} testid="weights-stats" />
      <Table title="Gradients" row={entry(measured.gradients ?? null, id)} testid="weights-gradients" />
      <Table title="Activations" row={entry(measured.activations ?? null, id)} testid="weights-activations" />
    </div>
  );
}
