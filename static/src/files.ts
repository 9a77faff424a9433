// Effects of files: downloads of every export, saving on the server, weights loaded into a saved design.
import { useCallback, useState } from "react";
import { ApiError, api, setToken } from "./api/client";
import type { GraphV1 } from "./api/types";
import { type ExportKind, downloadName } from "./model/exports";
import type { Action } from "./model/store";
import { type MismatchRow, type SavedRef, afterSave, afterUpload, mismatchRows, weightsFormat } from "./model/weights";

/** Hands a file to the browser as a download. */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Export in any format; a refusal (an ONNX 422, a design with errors) becomes the notice. */
export function useExport(graph: GraphV1, dispatch: (a: Action) => void) {
  const [exporting, setExporting] = useState<ExportKind | null>(null);
  const exportAs = useCallback(async (kind: ExportKind) => {
    if (kind === "json") {
      saveBlob(new Blob([JSON.stringify(graph, null, 1)], { type: "application/json" }), downloadName("json", graph.name));
      return;
    }
    setExporting(kind);
    try {
      const { blob, disposition } = await api.exportFile(kind, graph);
      saveBlob(blob, downloadName(kind, graph.name, disposition));
    } catch (e) {
      dispatch({ type: "notice", text: (e as Error).message });
    } finally {
      setExporting(null);
    }
  }, [graph, dispatch]);
  return { exporting, exportAs };
}

/** A write, asking once for a shared server's token (TORCHCANVAS_TOKEN) when it answers 401. */
async function withToken<T>(write: () => Promise<T>): Promise<T> {
  return write().catch((e) => {
    const token = e instanceof ApiError && e.status === 401 ? window.prompt(`${e.message}\n\nToken:`) : null;
    if (!token) throw e;
    setToken(token);
    return write();
  });
}

/** The open design on the server: save it (a new design, or the next version) and load weights into it. */
export function useServerDesign(graph: GraphV1, boot: SavedRef | null, dispatch: (a: Action) => void) {
  const [saved, setSaved] = useState(boot);
  const [saving, setSaving] = useState(false);
  const [loading, setLoading] = useState(false);
  const [report, setReport] = useState<MismatchRow[]>([]);
  const save = useCallback(async () => {
    setSaving(true);
    try {
      const out = await withToken(() => (saved ? api.updateDesign(saved.id, graph, saved.version) : api.createDesign(graph)));
      setSaved((s) => afterSave(s, out));
      window.history.replaceState(null, "", `/d/${out.id}`);
    } catch (e) {
      const stale = e instanceof ApiError && e.status === 409;
      dispatch({ type: "notice", text: stale ? "This design was saved elsewhere meanwhile: reload to see it, or Export yours." : (e as Error).message });
    } finally {
      setSaving(false);
    }
  }, [graph, saved, dispatch]);
  const loadWeights = useCallback(async (file: File) => {
    const format = weightsFormat(file.name);
    if (!saved) return dispatch({ type: "notice", text: "Save the design first: weights load into a saved design." });
    if (!format) return dispatch({ type: "notice", text: `${file.name} is not a .safetensors or .pt weights file` });
    setLoading(true);
    setReport([]);
    try {
      const out = await withToken(() => api.uploadWeights(saved.id, file, format));
      setSaved((s) => afterUpload(s, out));
    } catch (e) {
      setReport(e instanceof ApiError ? mismatchRows(e.details) : []);
      dispatch({ type: "notice", text: (e as Error).message });
    } finally {
      setLoading(false);
    }
  }, [saved, dispatch]);
  const forget = useCallback(() => {
    setSaved(null);
    setReport([]);
    window.history.replaceState(null, "", "/");
  }, []);
  return { saved, saving, save, forget, loading, report, loadWeights };
}
