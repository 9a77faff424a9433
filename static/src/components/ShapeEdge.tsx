// An edge whose shape label sits just below its source port, so edges that meet at one node
// (a residual add, a cat) never stack their labels on each other.
import { BaseEdge, type EdgeProps, getSmoothStepPath } from "@xyflow/react";
import { memo } from "react";

function ShapeEdgeView(p: EdgeProps) {
  const [path] = getSmoothStepPath(p);
  return (
    <BaseEdge id={p.id} path={path} label={p.label} labelX={p.sourceX} labelY={p.sourceY + 16}
      labelBgPadding={[4, 2]} labelBgBorderRadius={4} markerEnd={p.markerEnd} style={p.style} interactionWidth={16} />
  );
}

export const ShapeEdge = memo(ShapeEdgeView);
