// Automatic layout: dagre ranks the design top to bottom, keeping edges short and straight.
import dagre from "@dagrejs/dagre";
import type { Design } from "./design";

export const NODE_WIDTH = 232;
export const NODE_HEIGHT = 84;

export function autoLayout(design: Design): Design {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 46 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of design.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of design.edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  return {
    ...design,
    nodes: design.nodes.map((n) => {
      const p = g.node(n.id);
      return { ...n, x: Math.round(p.x - NODE_WIDTH / 2), y: Math.round(p.y - NODE_HEIGHT / 2) };
    }),
  };
}
