// The totals bar: parameters, trainable parameters, FLOPs, memory and the state of the analysis.
import type { Analysis } from "../api/types";
import { bytes, count, flops } from "../model/format";

interface Props {
  analysis: Analysis | null;
  busy: boolean;
  failure: string | null;
  onSelect: (id: string) => void;
}

function Stat({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div className="stat">
      <span className="label">{label}</span>
      <span className="value" data-testid={`total-${id}`}>{value}</span>
    </div>
  );
}

export function TotalsBar({ analysis, busy, failure, onSelect }: Props) {
  const t = analysis?.totals;
  const errors = analysis?.errors ?? [];
  return (
    <footer className="totals" data-testid="totals">
      <Stat id="params" label="Parameters" value={t ? count(t.params) : "–"} />
      <Stat id="trainable" label="Trainable" value={t ? count(t.trainable_params) : "–"} />
      <Stat id="flops" label="FLOPs / pass" value={t ? flops(t.flops) : "–"} />
      <Stat id="param-bytes" label="Weights" value={t ? bytes(t.param_bytes) : "–"} />
      <Stat id="activation-bytes" label="Activations" value={t ? bytes(t.activation_bytes) : "–"} />
      <div className="state">
        {busy && <span className="spinner" aria-label="analysing" />}
        {failure && <span className="bad">{failure}</span>}
        {!failure && analysis && (analysis.ok
          ? <span className="good" data-testid="status-ok">✓ valid</span>
          : <button className="bad link" data-testid="status-errors" onClick={() => errors[0] && onSelect(errors[0].node)}>
              {errors.length} error{errors.length === 1 ? "" : "s"}: {errors[0]?.node}
            </button>)}
      </div>
    </footer>
  );
}
