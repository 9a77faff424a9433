// Entry: decide what to open (a saved design, the design kept in the browser, or a template), then render.
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { createRoot } from "react-dom/client";
import { App, type Boot } from "./App";
import { api } from "./api/client";
import { STORAGE_KEY } from "./hooks";

const FIRST_TEMPLATE = "image_classifier";

async function boot(designId: string): Promise<Boot> {
  if (designId) {
    try {
      const d = await api.design(designId);
      const weights = d.has_weights ? { tensors: null, params: null, rev: 0 } : null;
      return { graph: d.graph, saved: { id: d.id, version: d.version, weights } };
    } catch {
      window.history.replaceState(null, "", "/");
    }
  }
  try {
    const kept = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    if (kept?.graph) return { graph: kept.graph, saved: null };
  } catch {
    /* unreadable storage: start fresh */
  }
  return { graph: await api.template(FIRST_TEMPLATE).catch(() => null), saved: null };
}

const root = document.getElementById("root")!;
performance.mark("tc:boot");
boot(root.dataset.designId ?? "").then((b) => createRoot(root).render(<App boot={b} />));
