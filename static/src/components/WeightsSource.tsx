// Which weights the panels measure (the seed's, or a file loaded into the saved design), the
// "Load weights…" picker, and the mismatch report of a refused file.
import { useRef } from "react";
import { count } from "../model/format";
import type { MismatchRow, UploadedWeights } from "../model/weights";

interface Props {
  savedId: string | null;
  uploaded: UploadedWeights | null;
  useUploaded: boolean;
  seed: number;
  loading: boolean;
  report: MismatchRow[];
  onUse: (use: boolean) => void;
  onLoad: (file: File) => void;
}

function describe(p: Props): string {
  if (!p.uploaded || !p.useUploaded) return `Weights made from seed ${p.seed}.`;
  const what = p.uploaded.tensors === null ? "" : ` (${count(p.uploaded.tensors)} tensors, ${count(p.uploaded.params ?? 0)} parameters)`;
  return `Weights loaded into this design${what}.`;
}

function Report({ rows }: { rows: MismatchRow[] }) {
  return (
    <div className="measure">
      <p className="bad small">Nothing was applied: {rows.length} tensor{rows.length === 1 ? "" : "s"} do not fit the design.</p>
      <table data-testid="weights-report">
        <thead><tr><th>tensor</th><th>problem</th><th>expected</th><th>got</th></tr></thead>
        <tbody>{rows.map((r) => (
          <tr key={r.name}><th>{r.name}</th><td className="bad">{r.problem}</td><td>{r.expected}</td><td>{r.got}</td></tr>
        ))}</tbody>
      </table>
    </div>
  );
}

export function WeightsSource(p: Props) {
  const file = useRef<HTMLInputElement>(null);
  return (
    <div className="panel weights-source" data-testid="weights-source">
      <p className="facts-line" data-testid="weights-source-line">{describe(p)}</p>
      {p.uploaded && (
        <label className="small">
          <input type="checkbox" checked={p.useUploaded} onChange={(e) => p.onUse(e.target.checked)} data-testid="use-uploaded" />
          {" "}measure with the loaded weights
        </label>
      )}
      <button onClick={() => file.current?.click()} disabled={!p.savedId || p.loading} data-testid="load-weights"
        title={p.savedId ? "Load a .safetensors or .pt state_dict into the saved design" : "Save the design first"}>
        {p.loading ? "Loading…" : "Load weights…"}
      </button>
      <input ref={file} type="file" accept=".safetensors,.pt,.pth" hidden data-testid="weights-file"
        onChange={(e) => { const f = e.target.files?.[0]; if (f) p.onLoad(f); e.target.value = ""; }} />
      {!p.savedId && <p className="muted small" data-testid="load-weights-hint">Save the design first: weights load into a saved design.</p>}
      {p.report.length > 0 && <Report rows={p.report} />}
    </div>
  );
}
