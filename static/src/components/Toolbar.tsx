// The top bar: files (new, open, save, the Export menu), the template gallery, undo/redo, layout and view.
import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import type { GraphV1, TemplateInfo } from "../api/types";
import { EXPORTS, type ExportKind } from "../model/exports";
import { useDispatch } from "./context";

interface Props {
  name: string;
  canUndo: boolean;
  canRedo: boolean;
  saving: boolean;
  savedAs: string | null;
  onNew: () => void;
  onSave: () => void;
  exporting: ExportKind | null;
  onExport: (kind: ExportKind) => void;
  onFit: () => void;
}

function Gallery({ onPick }: { onPick: (name: string) => void }) {
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<TemplateInfo[]>([]);
  useEffect(() => { api.templates().then(setItems).catch(() => setItems([])); }, []);
  return (
    <div className="menu">
      <button onClick={() => setOpen(!open)} data-testid="templates">Templates ▾</button>
      {open && (
        <div className="dropdown" onMouseLeave={() => setOpen(false)}>
          {items.map((t) => (
            <button key={t.name} data-testid={`template-${t.name}`} onClick={() => { setOpen(false); onPick(t.name); }}>
              <b>{t.title}</b><span>{t.description}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/** Export: the button downloads the design JSON; ▾ opens every format the server makes. */
function ExportMenu({ exporting, onExport }: Pick<Props, "exporting" | "onExport">) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const away = (e: PointerEvent) => { if (!box.current?.contains(e.target as Node)) setOpen(false); };
    const esc = (e: KeyboardEvent) => { if (e.key === "Escape") setOpen(false); };
    document.addEventListener("pointerdown", away);
    document.addEventListener("keydown", esc);
    return () => { document.removeEventListener("pointerdown", away); document.removeEventListener("keydown", esc); };
  }, [open]);
  const busy = EXPORTS.find((e) => e.kind === exporting);
  return (
    <div className="menu split" ref={box}>
      <button onClick={() => onExport("json")} data-testid="export" title="Download as graph format v1 JSON">
        {busy ? "Exporting…" : "Export"}
      </button>
      <button onClick={() => setOpen(!open)} data-testid="export-menu" aria-haspopup="menu" aria-expanded={open}
        title="Export as PyTorch code, weights or ONNX">▾</button>
      {open && (
        <div className="dropdown" role="menu" data-testid="export-dropdown">
          {EXPORTS.map((e) => (
            <button key={e.kind} role="menuitem" data-testid={`export-${e.kind}`} disabled={!!busy}
              onClick={() => { setOpen(false); onExport(e.kind); }}>
              <b>{e.label}</b><span>{e.hint}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

export function Toolbar(p: Props) {
  const dispatch = useDispatch();
  const file = useRef<HTMLInputElement>(null);
  const openFile = async (f: File | undefined) => {
    if (!f) return;
    try {
      const graph = JSON.parse(await f.text()) as GraphV1;
      performance.mark("tc:open"); // bench/canvas_bench.py times from here to the painted shapes
      dispatch({ type: "open", graph });
    } catch {
      dispatch({ type: "notice", text: `${f.name} is not a JSON design` });
    }
  };
  const pick = (name: string) => api.template(name).then((graph) => dispatch({ type: "open", graph }))
    .catch((e) => dispatch({ type: "notice", text: e.message }));
  return (
    <header className="toolbar">
      <span className="brand">Torchcanvas</span>
      <input className="name" value={p.name} aria-label="design name" data-testid="design-name"
        onChange={(e) => dispatch({ type: "setDesign", change: { name: e.target.value } })} />
      <button onClick={p.onNew}>New</button>
      <button onClick={() => file.current?.click()}>Open…</button>
      <input ref={file} type="file" accept=".json,application/json" hidden data-testid="open-file"
        onChange={(e) => { openFile(e.target.files?.[0]); e.target.value = ""; }} />
      <button onClick={p.onSave} disabled={p.saving} data-testid="save" title="Save on the server (Ctrl+S)">
        {p.saving ? "Saving…" : "Save"}
      </button>
      <ExportMenu exporting={p.exporting} onExport={p.onExport} />
      <Gallery onPick={pick} />
      <span className="sep" />
      <button onClick={() => dispatch({ type: "undo" })} disabled={!p.canUndo} data-testid="undo" title="Undo (Ctrl+Z)">↶</button>
      <button onClick={() => dispatch({ type: "redo" })} disabled={!p.canRedo} data-testid="redo" title="Redo (Ctrl+Shift+Z)">↷</button>
      <button onClick={() => dispatch({ type: "layout" })} title="Auto-layout (L)" data-testid="layout">Layout</button>
      <button onClick={p.onFit} title="Fit view (F)">Fit</button>
      {p.savedAs && <span className="saved" data-testid="saved-as">saved · {p.savedAs}</span>}
    </header>
  );
}
