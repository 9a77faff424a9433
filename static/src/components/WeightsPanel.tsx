// The weights panel: pictures of the selected node's weights, their stats, gradient norms and the
// activation statistics through depth, all measured on the server with the design's seed, or with
// the weights loaded into the saved design (`source`).
import type { ChartConfiguration } from "chart.js";
import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/client";
import type { GraphV1 } from "../api/types";
import { type EditorNode, engineJson } from "../model/design";
import { type WeightsSource, sourceKey, withSource } from "../model/weights";
import { ChartView } from "./Chart";

type Row = Record<string, unknown>;
type Measured = { stats: Row; gradients: Row; activations: Row };
const VIEWS = ["filters", "matrix", "histogram", "feature maps"] as const;
// Shown as a warning in the activations table: most of the layer's outputs are exactly zero.
const DEAD_FRACTION = 0.5;

function fmt(v: unknown): string {
  if (typeof v === "number") {
    if (v === 0 || Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4);
  }
  if (Array.isArray(v)) return `[${v.join(", ")}]`;
  return v === null || v === undefined ? "–" : String(v);
}

function nodesOf(body: Row | undefined): Record<string, Row> {
  return ((body?.nodes ?? {}) as Record<string, Row>);
}

function Table({ rows, cols, testid, warn }: { rows: [string, Row][]; cols: string[]; testid: string; warn?: (c: string, r: Row) => boolean }) {
  return (
    <table data-testid={testid}>
      <thead><tr><th />{cols.map((c) => <th key={c}>{c === "zero_fraction" ? "zeros" : c.replace("_", " ")}</th>)}</tr></thead>
      <tbody>{rows.map(([name, r]) => (
        <tr key={name}><th>{name}</th>{cols.map((c) => <td key={c} className={warn?.(c, r) ? "bad" : ""}>{fmt(r[c])}</td>)}</tr>
      ))}</tbody>
    </table>
  );
}

function depthChart(acts: Record<string, Row>, selected: string): ChartConfiguration {
  const ids = Object.keys(acts);
  return {
    type: "line",
    data: {
      labels: ids,
      datasets: [{
        data: ids.map((id) => acts[id].std as number), borderColor: "#4f7cff", backgroundColor: "#4f7cff",
        pointRadius: ids.map((id) => (id === selected ? 5 : 2)),
      }],
    },
    options: { maintainAspectRatio: false, scales: { y: { title: { display: true, text: "activation std" } }, x: { ticks: { autoSkip: true, maxRotation: 60 } } } },
  };
}

function useImage(graph: GraphV1, node: string, view: string, on: boolean, source: WeightsSource | null) {
  const [url, setUrl] = useState<{ src: string; view: string } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const body = engineJson(graph);
  const key = sourceKey(source);
  useEffect(() => {
    if (!on) return;
    const ctl = new AbortController();
    let made: string | null = null;
    // Each picture is a job for a worker: wait until the edits pause before asking for one.
    const t = setTimeout(() => {
      setFailure(null);
      const graph = JSON.parse(body);
      const picture = view === "feature maps" ? api.activationImage(withSource({ graph, node }, source), ctl.signal)
        : api.weightImage(withSource({ graph, node, param: "weight", view }, source), ctl.signal);
      picture
        .then((b) => { made = URL.createObjectURL(b); setUrl({ src: made, view }); })
        .catch((e) => { if (!ctl.signal.aborted) { setUrl(null); setFailure(e.message); } });
    }, 250);
    return () => { clearTimeout(t); ctl.abort(); if (made) URL.revokeObjectURL(made); };
    // `key` stands for `source`: an equal source object made anew asks for nothing
  }, [body, node, view, on, key]);
  return { url, failure };
}

function Measurements({ m, id }: { m: Measured; id: string }) {
  const params = Object.entries((nodesOf(m.stats)[id]?.params ?? {}) as Record<string, Row>);
  const grads = Object.entries((nodesOf(m.gradients)[id]?.params ?? {}) as Record<string, Row>);
  const acts = nodesOf(m.activations);
  const th = m.gradients.thresholds as Row | undefined;
  const chart = useMemo(() => depthChart(acts, id), [acts, id]);
  return (
    <div className="measure">
      {params.length > 0 && <><h4>Weights</h4><Table rows={params} cols={["shape", "mean", "std", "min", "max", "zero_fraction"]} testid="weights-stats" /></>}
      {grads.length > 0 && <>
        <h4>Gradient norms</h4>
        <Table rows={grads} cols={["grad_norm", "flag"]} testid="weights-gradients" warn={(c, r) => c === "flag" && !!r.flag} />
        {th && <p className="muted small">flagged when the {fmt(th.norm)} norm is below {fmt(th.vanishing_below)} (vanishing) or above {fmt(th.exploding_above)} (exploding)</p>}
      </>}
      {acts[id] && <>
        <h4>Activations</h4>
        <Table rows={[[id, acts[id]]]} cols={["mean", "std", "min", "max", "zero_fraction"]} testid="weights-activations"
          warn={(c, r) => c === "zero_fraction" && (r.zero_fraction as number) >= DEAD_FRACTION} />
        {(acts[id].zero_fraction as number) >= DEAD_FRACTION && <p className="bad small">mostly dead: at least half of the outputs are exactly zero</p>}
      </>}
      <h4>Signal through depth</h4>
      <ChartView config={chart} height={170} testid="activation-depth" />
    </div>
  );
}

interface Props {
  graph: GraphV1;
  node: EditorNode | undefined;
  valid: boolean;
  source: WeightsSource | null;
}

export function WeightsPanel({ graph, node, valid, source }: Props) {
  const [view, setView] = useState<(typeof VIEWS)[number]>("histogram");
  const [measured, setMeasured] = useState<Measured | null>(null);
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const id = node?.id ?? "";
  const image = useImage(graph, id, view, valid && node?.kind === "layer", source);
  const network = engineJson(graph);
  useEffect(() => setMeasured(null), [network]); // numbers of another network would mislead
  const latest = useRef(0);
  const measure = async () => {
    const run = ++latest.current; // only the latest run's numbers are shown
    setFailure(null);
    setRunning(true);
    const body = withSource({ graph, seed: graph.seed }, source);
    try {
      const [stats, gradients, activations] = await Promise.all([
        api.measure("weights/stats", body), api.measure("gradients", { ...body, loss: "sum" }), api.measure("activations", body),
      ]);
      if (run === latest.current) setMeasured({ stats, gradients, activations });
    } catch (e) {
      if (run === latest.current) { setMeasured(null); setFailure((e as Error).message); }
    } finally {
      if (run === latest.current) setRunning(false);
    }
  };
  // Other weights (a file loaded, or the toggle): the numbers on show are measured again.
  const again = useRef({ shown: false, measure });
  again.current = { shown: measured !== null, measure };
  const key = sourceKey(source);
  useEffect(() => { if (again.current.shown) again.current.measure(); }, [key]);
  if (!node) return <div className="panel muted">Select a node to see its weights, gradients and activations.</div>;
  if (!valid) return <div className="panel muted">Fix the design's errors to measure it.</div>;
  return (
    <div className="panel weights" data-testid="weights-panel">
      <div className="views">
        {VIEWS.map((v) => <button key={v} className={v === view ? "on" : ""} onClick={() => setView(v)}>{v}</button>)}
      </div>
      {image.url && <img className="weight-image" src={image.url.src} data-testid="weight-image"
        alt={image.url.view === "feature maps" ? `first feature maps of ${id}` : `${image.url.view} of ${id}.weight`} />}
      {image.failure && <p className="muted">{image.failure}</p>}
      <button className="primary" onClick={measure} disabled={running} data-testid="measure-run">
        {running ? "Measuring…" : "Measure weights, gradients, activations"}
      </button>
      {failure && <p className="bad">{failure}</p>}
      {measured && <Measurements m={measured} id={id} />}
    </div>
  );
}
