// The palette: every registered op by category, a search box, drag to the canvas or Enter to add.
import { forwardRef, useMemo, useState } from "react";
import type { OpSpec, OpsOut } from "../api/types";
import { OP_MIME } from "./Canvas";

interface Props {
  ops: OpsOut | null;
  onAdd: (spec: OpSpec) => void;
}

function matches(spec: OpSpec, q: string): boolean {
  return !q || spec.name.toLowerCase().includes(q) || spec.category.toLowerCase().includes(q);
}

export const Palette = forwardRef<HTMLInputElement, Props>(function Palette({ ops, onAdd }, searchRef) {
  const [query, setQuery] = useState("");
  const q = query.trim().toLowerCase();
  const groups = useMemo(() => {
    if (!ops) return [];
    return ops.categories
      .map((c) => ({ category: c, ops: ops.ops.filter((o) => o.category === c && matches(o, q)) }))
      .filter((g) => g.ops.length);
  }, [ops, q]);
  const first = groups[0]?.ops[0];
  return (
    <aside className="palette" aria-label="Layers">
      <input
        ref={searchRef} className="search" placeholder="Search layers  ( / )" value={query} data-testid="palette-search"
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && first) { onAdd(first); setQuery(""); (e.target as HTMLInputElement).blur(); }
          if (e.key === "Escape") { setQuery(""); (e.target as HTMLInputElement).blur(); }
        }}
      />
      {!ops && <p className="muted">Loading layers…</p>}
      <div className="groups">
        {groups.map((g) => (
          <section key={g.category}>
            <h3>{g.category}</h3>
            <div className="items">
              {g.ops.map((o) => (
                <div
                  key={o.name} className={`item cat-${g.category}`} draggable title={o.doc} data-testid={`palette-${o.name}`}
                  onDragStart={(e) => { e.dataTransfer.setData(OP_MIME, o.name); e.dataTransfer.effectAllowed = "copy"; }}
                  onDoubleClick={() => onAdd(o)}
                >
                  {o.name}
                </div>
              ))}
            </div>
          </section>
        ))}
      </div>
    </aside>
  );
});
