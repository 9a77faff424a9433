// Weights uploaded into a saved design: which file format, which requests use them, the mismatch
// report of a refused upload. Plain data and pure functions; the panel renders them.

export type WeightsFormat = "safetensors" | "pt";

/** A saved design's uploaded weights as the canvas knows them; `rev` bumps with each upload. */
export interface UploadedWeights {
  tensors: number | null;
  params: number | null;
  rev: number;
}

/** The weights the measuring requests run on: the design's uploaded ones, or (null) its seed's. */
export interface WeightsSource {
  designId: string;
  rev: number;
}

/** The format the server must read a picked file as, from its name; null for anything else. */
export function weightsFormat(fileName: string): WeightsFormat | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".safetensors")) return "safetensors";
  if (lower.endsWith(".pt") || lower.endsWith(".pth")) return "pt";
  return null;
}

/** A measuring request's body, run on the uploaded weights when there is a source. */
export function withSource<T extends Record<string, unknown>>(body: T, source: WeightsSource | null): T & { design_id?: string } {
  return source ? { ...body, design_id: source.designId } : body;
}

/** A stable key of the source: panels measure again when it changes. */
export function sourceKey(source: WeightsSource | null): string {
  return source ? `${source.designId}#${source.rev}` : "seed";
}

export interface MismatchRow {
  name: string;
  problem: string;
  expected: string;
  got: string;
}

function shown(v: unknown): string {
  if (Array.isArray(v)) return `[${v.join(", ")}]`;
  return v === undefined || v === null ? "–" : String(v);
}

/** The rows of a 422 `invalid_weights` report (`details: [{name, problem, expected, got}]`). */
export function mismatchRows(details: unknown): MismatchRow[] {
  if (!Array.isArray(details)) return [];
  return details
    .filter((d): d is Record<string, unknown> => !!d && typeof d === "object" && typeof (d as { name?: unknown }).name === "string")
    .map((d) => ({ name: d.name as string, problem: shown(d.problem), expected: shown(d.expected), got: shown(d.got) }));
}

/** The open design as saved on the server, with the weights uploaded into it (null: none). */
export interface SavedRef {
  id: string;
  version: number;
  weights: UploadedWeights | null;
}

/** After a save: a new design has no weights yet; the next version of the same one keeps them. */
export function afterSave(prev: SavedRef | null, out: { id: string; version: number }): SavedRef {
  return { id: out.id, version: out.version, weights: prev?.id === out.id ? prev.weights : null };
}

/** After an upload was accepted: the design has these weights now, under a new revision. */
export function afterUpload(prev: SavedRef | null, out: { id: string; tensors: number; params: number }): SavedRef | null {
  if (!prev || prev.id !== out.id) return prev; // another design was opened meanwhile
  return { ...prev, weights: { tensors: out.tensors, params: out.params, rev: (prev.weights?.rev ?? 0) + 1 } };
}

/** The source the panels measure with: the uploaded weights when there are some and they are wanted. */
export function weightsSource(saved: SavedRef | null, useUploaded: boolean): WeightsSource | null {
  return saved?.weights && useUploaded ? { designId: saved.id, rev: saved.weights.rev } : null;
}
