// The profile panel: time the real network on the server, per-layer bars and the batch-size sweep.
import type { ChartConfiguration } from "chart.js";
import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/client";
import type { GraphV1, ProfileOut } from "../api/types";
import { bytes, ms } from "../model/format";
import { type WeightsSource, withSource } from "../model/weights";
import { ChartView } from "./Chart";

function layerBars(p: ProfileOut): ChartConfiguration {
  const rows = Object.entries(p.nodes).sort((a, b) => b[1].median_ms - a[1].median_ms).slice(0, 30);
  return {
    type: "bar",
    data: { labels: rows.map(([id]) => id), datasets: [{ data: rows.map(([, t]) => t.median_ms), backgroundColor: "#4f7cff", borderRadius: 3 }] },
    options: { indexAxis: "y", maintainAspectRatio: false, scales: { x: { title: { display: true, text: "median ms" } } } },
  };
}

function sweepLine(p: ProfileOut): ChartConfiguration {
  const pts = p.sweep ?? [];
  return {
    type: "line",
    data: { labels: pts.map((s) => String(s.batch_size)), datasets: [{ data: pts.map((s) => s.samples_per_s), borderColor: "#12a57a", backgroundColor: "#12a57a" }] },
    options: { maintainAspectRatio: false, scales: { x: { title: { display: true, text: "batch size" } }, y: { title: { display: true, text: "samples / s" } } } },
  };
}

function parseSizes(text: string): number[] {
  return text.split(/[\s,]+/).map(Number).filter((n) => Number.isInteger(n) && n > 0).slice(0, 8);
}

function Elapsed() {
  const [t, setT] = useState(0);
  useEffect(() => {
    const start = performance.now();
    const id = setInterval(() => setT((performance.now() - start) / 1000), 100);
    return () => clearInterval(id);
  }, []);
  return <span data-testid="profile-running"><span className="spinner" /> running on the server… {t.toFixed(1)} s</span>;
}

export function ProfilePanel({ graph, valid, source }: { graph: GraphV1; valid: boolean; source: WeightsSource | null }) {
  const [mode, setMode] = useState<"eval" | "train">("eval");
  const [backward, setBackward] = useState(false);
  const [sizes, setSizes] = useState("1, 8, 32");
  const [result, setResult] = useState<ProfileOut | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const run = async () => {
    abort.current?.abort();
    const ctl = (abort.current = new AbortController());
    setRunning(true);
    setFailure(null);
    const batch = parseSizes(sizes);
    try {
      const body = { graph, mode, backward, batch_sizes: batch.length ? batch : undefined };
      setResult(await api.profile(withSource(body, source), ctl.signal));
    } catch (e) {
      if (!ctl.signal.aborted) setFailure((e as Error).message);
    } finally {
      if (abort.current === ctl) setRunning(false);
    }
  };
  const bars = useMemo(() => (result ? layerBars(result) : null), [result]);
  const sweep = useMemo(() => (result?.sweep?.length ? sweepLine(result) : null), [result]);
  return (
    <div className="panel profile">
      <div className="form">
        <label>mode</label>
        <select value={mode} onChange={(e) => setMode(e.target.value as "eval" | "train")}><option>eval</option><option>train</option></select>
        <label>backward</label>
        <input type="checkbox" checked={backward} onChange={(e) => setBackward(e.target.checked)} />
        <label>batch sizes</label>
        <input value={sizes} onChange={(e) => setSizes(e.target.value)} data-testid="profile-batches" />
      </div>
      <button className="primary" disabled={!valid || running} onClick={run} data-testid="profile-run">Run profile</button>
      {!valid && <p className="muted">Fix the design's errors to time it.</p>}
      {running && <p><Elapsed /></p>}
      {failure && <p className="bad">{failure}</p>}
      {result && (
        <div data-testid="profile-result">
          <p className="facts-line">
            forward <b>{ms(result.forward.median_ms)}</b> ± {ms(result.forward.iqr_ms / 2)} ({result.forward.runs} runs)
            {result.backward && <> · backward <b>{ms(result.backward.median_ms)}</b></>}
            {" "}· {result.device}, {result.threads} thread{result.threads === 1 ? "" : "s"}
            {result.peak_memory_bytes ? <> · peak {bytes(result.peak_memory_bytes)}</> : null}
          </p>
          <h4>Time per layer</h4>
          {bars && <ChartView config={bars} height={Math.max(120, Object.keys(result.nodes).length * 18 + 40)} testid="profile-bars" />}
          {sweep && <><h4>Batch-size sweep</h4><ChartView config={sweep} height={180} testid="profile-sweep" /></>}
        </div>
      )}
    </div>
  );
}
