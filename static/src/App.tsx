// The designer: wires the state, the live analysis and the panels together; owns no logic of its own.
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { ApiError, api, setToken } from "./api/client";
import type { GraphV1, OpSpec, OpsOut } from "./api/types";
import { Canvas } from "./components/Canvas";
import { DispatchContext } from "./components/context";
import { Inspector } from "./components/Inspector";
import { Palette } from "./components/Palette";
import { ProfilePanel } from "./components/ProfilePanel";
import { TotalsBar } from "./components/TotalsBar";
import { Toolbar } from "./components/Toolbar";
import { WeightsPanel } from "./components/WeightsPanel";
import { designToGraph, emptyDesign } from "./model/design";
import { type Action, initialState, reducer } from "./model/store";
import { useAnalysis, usePaintMarks, usePersist, useShortcuts } from "./hooks";

export interface Boot {
  graph: GraphV1 | null;
  saved: { id: string; version: number } | null;
}

type Tab = "inspect" | "profile" | "weights";

function useOps(): OpsOut | null {
  const [ops, setOps] = useState<OpsOut | null>(null);
  useEffect(() => { api.ops().then(setOps).catch(() => setOps({ categories: [], ops: [] })); }, []);
  return ops;
}

function download(graph: GraphV1) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(graph, null, 1)], { type: "application/json" }));
  const a = Object.assign(document.createElement("a"), { href: url, download: `${graph.name || "design"}.json` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function useServerSave(graph: GraphV1, boot: Boot, dispatch: (a: Action) => void) {
  const [saved, setSaved] = useState(boot.saved);
  const [saving, setSaving] = useState(false);
  const save = useCallback(async () => {
    setSaving(true);
    const put = () => (saved ? api.updateDesign(saved.id, graph, saved.version) : api.createDesign(graph));
    try {
      const out = await put().catch((e) => {
        // A shared server asks for its token: ask the person once, then try again.
        const token = e instanceof ApiError && e.status === 401 ? window.prompt(`${e.message}\n\nToken:`) : null;
        if (!token) throw e;
        setToken(token);
        return put();
      });
      setSaved({ id: out.id, version: out.version });
      window.history.replaceState(null, "", `/d/${out.id}`);
    } catch (e) {
      const stale = e instanceof ApiError && e.status === 409;
      dispatch({ type: "notice", text: stale ? "This design was saved elsewhere meanwhile: reload to see it, or Export yours." : (e as Error).message });
    } finally {
      setSaving(false);
    }
  }, [graph, saved, dispatch]);
  const forget = useCallback(() => { setSaved(null); window.history.replaceState(null, "", "/"); }, []);
  return { saved, saving, save, forget };
}

function Designer({ boot }: { boot: Boot }) {
  const [state, dispatch] = useReducer(reducer, boot, (b) => {
    const s = initialState(emptyDesign());
    if (!b.graph) return s;
    const opened = reducer(s, { type: "open", graph: b.graph });
    return { ...opened, history: { ...opened.history, past: [] } }; // nothing to undo at start
  });
  const ops = useOps();
  const specs = useMemo(() => Object.fromEntries((ops?.ops ?? []).map((o) => [o.name, o])) as Record<string, OpSpec>, [ops]);
  const design = state.history.present;
  const graph = useMemo(() => designToGraph(design), [design]);
  const live = useAnalysis(graph);
  usePaintMarks(live);
  const server = useServerSave(graph, boot, dispatch);
  usePersist(graph, server.saved?.id ?? null);
  const [tab, setTab] = useState<Tab>("inspect");
  const search = useRef<HTMLInputElement>(null);
  const flow = useReactFlow();
  const fit = useCallback(() => flow.fitView({ padding: 0.15, maxZoom: 1.1 }), [flow]);
  useShortcuts({ dispatch, fit, save: server.save, focusSearch: () => search.current?.focus() });

  const selected = state.selected.length === 1 ? design.nodes.find((n) => n.id === state.selected[0]) : undefined;
  const addFromPalette = (spec: OpSpec) => {
    const from = selected ?? design.nodes[design.nodes.length - 1];
    dispatch({ type: "add", spec, x: (from?.x ?? 0), y: (from?.y ?? 0) + 130, from: from?.id });
  };
  const valid = !!live.analysis?.ok && !live.busy;
  return (
    <DispatchContext.Provider value={dispatch}>
      <div className="app">
        <Toolbar name={design.name} canUndo={state.history.past.length > 0} canRedo={state.history.future.length > 0}
          saving={server.saving} savedAs={server.saved ? `${server.saved.id} v${server.saved.version}` : null}
          onNew={() => { server.forget(); dispatch({ type: "new", design: emptyDesign() }); }}
          onSave={server.save} onExport={() => download(graph)} onFit={fit} />
        <Palette ref={search} ops={ops} onAdd={addFromPalette} />
        <main className="stage">
          <Canvas design={design} analysis={live.analysis} specs={specs} selected={state.selected}
            selectedEdges={state.selectedEdges} opened={state.opened} dispatch={dispatch} />
          {state.notice && (
            <div className="notice" role="alert" data-testid="notice" onClick={() => dispatch({ type: "notice", text: null })}>
              {state.notice.text}
            </div>
          )}
        </main>
        <aside className="side">
          <nav className="tabs">
            {(["inspect", "profile", "weights"] as Tab[]).map((t) => (
              <button key={t} className={t === tab ? "on" : ""} onClick={() => setTab(t)} data-testid={`tab-${t}`}>{t}</button>
            ))}
          </nav>
          {tab === "inspect" && <Inspector node={selected} spec={selected && specs[selected.op]} result={selected && live.analysis?.nodes[selected.id]} />}
          {tab === "profile" && <ProfilePanel graph={graph} valid={valid} />}
          {tab === "weights" && <WeightsPanel graph={graph} node={selected} valid={valid} />}
        </aside>
        <TotalsBar analysis={live.analysis} busy={live.busy} failure={live.failure}
          onSelect={(id) => dispatch({ type: "select", nodes: [id], edges: [] })} />
      </div>
    </DispatchContext.Provider>
  );
}

export function App({ boot }: { boot: Boot }) {
  return (
    <ReactFlowProvider>
      <Designer boot={boot} />
    </ReactFlowProvider>
  );
}
