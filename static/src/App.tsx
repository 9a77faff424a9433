// The designer: wires the state, the live analysis and the panels together; owns no logic of its own.
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { api } from "./api/client";
import type { GraphV1, OpSpec, OpsOut } from "./api/types";
import { Canvas } from "./components/Canvas";
import { DispatchContext } from "./components/context";
import { Inspector } from "./components/Inspector";
import { Palette } from "./components/Palette";
import { ProfilePanel } from "./components/ProfilePanel";
import { TotalsBar } from "./components/TotalsBar";
import { Toolbar } from "./components/Toolbar";
import { WeightsPanel } from "./components/WeightsPanel";
import { WeightsSource } from "./components/WeightsSource";
import { useExport, useServerDesign } from "./files";
import { designToGraph, emptyDesign } from "./model/design";
import { initialState, reducer } from "./model/store";
import { useAnalysis, usePaintMarks, usePersist, useShortcuts } from "./hooks";
import { type SavedRef, weightsSource } from "./model/weights";

export interface Boot {
  graph: GraphV1 | null;
  saved: SavedRef | null;
}

type Tab = "inspect" | "profile" | "weights";

function useOps(): OpsOut | null {
  const [ops, setOps] = useState<OpsOut | null>(null);
  useEffect(() => { api.ops().then(setOps).catch(() => setOps({ categories: [], ops: [] })); }, []);
  return ops;
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
  const server = useServerDesign(graph, boot.saved, dispatch);
  const files = useExport(graph, dispatch);
  const [useUploaded, setUseUploaded] = useState(true);
  const source = weightsSource(server.saved, useUploaded);
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
          onSave={server.save} exporting={files.exporting} onExport={files.exportAs} onFit={fit} />
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
          {tab === "profile" && <ProfilePanel graph={graph} valid={valid} source={source} />}
          {tab === "weights" && <>
            <WeightsSource savedId={server.saved?.id ?? null} uploaded={server.saved?.weights ?? null} useUploaded={useUploaded}
              seed={design.seed} loading={server.loading} report={server.report} onUse={setUseUploaded}
              onLoad={(f) => { setUseUploaded(true); server.loadWeights(f); }} />
            <WeightsPanel graph={graph} node={selected} valid={valid} source={source} />
          </>}
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
