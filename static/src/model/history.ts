// Undo/redo as plain data: past and future snapshots around the present design.
import type { Design } from "./design";

export interface History {
  past: Design[];
  present: Design;
  future: Design[];
}

const LIMIT = 200;

export function startHistory(design: Design): History {
  return { past: [], present: design, future: [] };
}

/** Record an edit; an edit that changes nothing is not an undo step. */
export function commit(h: History, next: Design): History {
  if (next === h.present) return h;
  return { past: [...h.past, h.present].slice(-LIMIT), present: next, future: [] };
}

/** Replace the present without an undo step (e.g. while a node is being dragged). */
export function replace(h: History, next: Design): History {
  return { ...h, present: next };
}

export function undo(h: History): History {
  const prev = h.past[h.past.length - 1];
  if (!prev) return h;
  return { past: h.past.slice(0, -1), present: prev, future: [h.present, ...h.future] };
}

export function redo(h: History): History {
  const next = h.future[0];
  if (!next) return h;
  return { past: [...h.past, h.present], present: next, future: h.future.slice(1) };
}
