// Effects of the editor: live analysis, keyboard shortcuts, keeping the design in the browser.
import { useEffect, useRef, useState } from "react";
import { api } from "./api/client";
import type { Analysis, GraphV1 } from "./api/types";
import { engineJson } from "./model/design";
import type { Action } from "./model/store";

const DEBOUNCE_MS = 60;

export interface Live {
  analysis: Analysis | null;
  analysedFor: string | null; // the graph JSON the analysis answers
  busy: boolean;
  failure: string | null;
}

/** Posts the graph to /api/v1/analyze after a short pause; a newer edit cancels the older request. */
export function useAnalysis(graph: GraphV1): Live {
  const body = engineJson(graph); // moving a node changes nothing the engine sees
  const [live, setLive] = useState<Live>({ analysis: null, analysedFor: null, busy: false, failure: null });
  useEffect(() => {
    const ctl = new AbortController();
    setLive((l) => ({ ...l, busy: true }));
    const t = setTimeout(() => {
      performance.mark("tc:analyze-request");
      api.analyze(JSON.parse(body), ctl.signal)
        .then((analysis) => setLive({ analysis, analysedFor: body, busy: false, failure: null }))
        .catch((e) => { if (!ctl.signal.aborted) setLive((l) => ({ ...l, busy: false, failure: e.message })); });
    }, DEBOUNCE_MS);
    return () => { clearTimeout(t); ctl.abort(); };
  }, [body]);
  return live;
}

/** After the analysis of the latest edit has been painted, mark it for tests and benchmarks. */
export function usePaintMarks(live: Live) {
  useEffect(() => {
    if (!live.analysis || live.busy) return;
    const id = requestAnimationFrame(() => {
      performance.mark("tc:painted");
      const w = window as unknown as { __tc?: { painted: number } };
      w.__tc = { painted: (w.__tc?.painted ?? 0) + 1 };
      document.body.dataset.painted = String(w.__tc.painted);
    });
    return () => cancelAnimationFrame(id);
  }, [live.analysis, live.busy]);
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

export interface Shortcuts {
  dispatch: (a: Action) => void;
  focusSearch: () => void;
  fit: () => void;
  save: () => void;
}

const KEYS: Record<string, (s: Shortcuts, shift: boolean) => void> = {
  "mod+z": (s, shift) => s.dispatch({ type: shift ? "redo" : "undo" }),
  "mod+y": (s) => s.dispatch({ type: "redo" }),
  "mod+c": (s) => s.dispatch({ type: "copy" }),
  "mod+v": (s) => s.dispatch({ type: "paste" }),
  "mod+d": (s) => s.dispatch({ type: "duplicate" }),
  "mod+s": (s) => s.save(),
  "mod+k": (s) => s.focusSearch(),
  "/": (s) => s.focusSearch(),
  delete: (s) => s.dispatch({ type: "delete" }),
  backspace: (s) => s.dispatch({ type: "delete" }),
  l: (s) => s.dispatch({ type: "layout" }),
  f: (s) => s.fit(),
};

export function useShortcuts(s: Shortcuts) {
  const ref = useRef(s);
  ref.current = s;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (typing(e.target) && !(mod && e.key.toLowerCase() === "s")) return;
      const key = `${mod ? "mod+" : ""}${e.key.toLowerCase()}`;
      const run = KEYS[key];
      if (!run || (!mod && e.altKey)) return;
      e.preventDefault();
      run(ref.current, e.shiftKey);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

export const STORAGE_KEY = "torchcanvas:design";

/** Keeps the current design in localStorage, so a reload loses nothing. */
export function usePersist(graph: GraphV1, savedAs: string | null) {
  useEffect(() => {
    const t = setTimeout(() => {
      try {
        localStorage.setItem(STORAGE_KEY, JSON.stringify({ graph, savedAs }));
      } catch {
        /* storage full or disabled: the design stays in memory */
      }
    }, 200);
    return () => clearTimeout(t);
  }, [graph, savedAs]);
}
