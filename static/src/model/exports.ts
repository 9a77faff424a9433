// What the Export menu offers and how its files are named: plain data and pure functions.

export type ExportKind = "json" | "python" | "safetensors" | "pt" | "onnx";

export interface ExportEntry {
  kind: ExportKind;
  label: string;
  hint: string;
  ext: string;
}

export const EXPORTS: readonly ExportEntry[] = [
  { kind: "json", label: "Design JSON", hint: "graph format v1 with the canvas positions; Open… reads it back", ext: ".json" },
  { kind: "python", label: "PyTorch code (.py)", hint: "one nn.Module class that imports only torch", ext: ".py" },
  { kind: "safetensors", label: "Weights (.safetensors)", hint: "the state_dict the server builds from the design's seed", ext: ".safetensors" },
  { kind: "pt", label: "Weights (.pt)", hint: "the same state_dict for torch.load(weights_only=True)", ext: ".pt" },
  { kind: "onnx", label: "ONNX (.onnx)", hint: "opset 17, checked by onnx.checker", ext: ".onnx" },
];

/** A file name stem from the design's name: `My Net!` -> `my_net` (never empty). */
export function fileStem(name: string | undefined): string {
  const stem = (name ?? "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return stem || "design";
}

/** The file name a `Content-Disposition: attachment; filename="x.py"` header gives, if any.
 * Only a plain name: no folders, no quotes, nothing a download could misuse. */
export function attachmentName(header: string | null | undefined): string | null {
  const m = /filename="?([^";]+)"?/i.exec(header ?? "");
  const name = m?.[1].trim().split(/[\\/]/).pop() ?? "";
  return /^[\w.-]+$/.test(name) && !name.startsWith(".") ? name : null;
}

/** The name a download gets: the server's when it sends one, else one made from the design's name. */
export function downloadName(kind: ExportKind, designName: string | undefined, header?: string | null): string {
  const entry = EXPORTS.find((e) => e.kind === kind)!;
  return attachmentName(header) ?? `${fileStem(designName)}${entry.ext}`;
}
