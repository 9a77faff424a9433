// Wire types of the Torchcanvas API (graph format v1, /api/v1/ops, /api/v1/analyze, measurements).

export type DType = "float32" | "float16" | "bfloat16" | "int64";

export interface InputV1 {
  id: string;
  shape: number[];
  dtype?: DType;
  ui?: Record<string, unknown> | null;
}

export interface NodeV1 {
  id: string;
  op: string;
  args?: Record<string, unknown>;
  inputs?: string[];
  trainable?: boolean;
  init?: Record<string, string>;
  ui?: Record<string, unknown> | null;
}

export interface GraphV1 {
  version: 1;
  name?: string;
  seed?: number;
  inputs: InputV1[];
  nodes: NodeV1[];
  outputs: string[];
}

export type ArgType = "int" | "float" | "bool" | "str" | "int_or_tuple" | "float_or_tuple" | "int_list";

export interface ArgSpec {
  name: string;
  type: ArgType;
  default: unknown;
  required: boolean;
  nullable: boolean;
  choices: unknown[] | null;
  min: number | null;
  max: number | null;
  doc: string;
  inferred: boolean;
}

export interface PortSpec {
  name: string;
  optional: boolean;
  variadic: boolean;
}

export interface OpSpec {
  name: string;
  category: string;
  kind: "module" | "function";
  doc: string;
  inputs: PortSpec[];
  outputs: string[];
  args: ArgSpec[];
}

export interface OpsOut {
  categories: string[];
  ops: OpSpec[];
}

export interface TensorOut {
  shape: number[];
  dtype: string;
}

export interface NodeAnalysis {
  op: string;
  args: Record<string, unknown>;
  inferred?: string[];
  outputs: TensorOut[];
  params: number;
  trainable_params: number;
  flops: number;
  activation_bytes: number;
  param_bytes: number;
  status?: "ok" | "error" | "blocked";
  error: string | null;
}

export interface Totals {
  params: number;
  trainable_params: number;
  flops: number;
  param_bytes: number;
  activation_bytes: number;
}

export interface Fix {
  args?: Record<string, unknown>;
}

export interface ErrorOut {
  node: string;
  message: string;
  fix?: Fix;
}

export interface Analysis {
  ok: boolean;
  nodes: Record<string, NodeAnalysis>;
  outputs: { ref: string; shape: number[] | null; dtype: string | null }[];
  totals: Totals;
  errors: ErrorOut[];
}

export interface TemplateInfo {
  name: string;
  title: string;
  description: string;
}

export interface Timing {
  median_ms: number;
  iqr_ms: number;
  min_ms: number;
  runs: number;
}

export interface ProfileOut {
  device: string;
  threads: number;
  mode: string;
  forward: Timing;
  backward: Timing | null;
  nodes: Record<string, { median_ms: number; share: number }>;
  peak_memory_bytes: number | null;
  sweep: { batch_size: number; median_ms: number; samples_per_s: number }[] | null;
}

export interface ParamStats {
  shape: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
  zeros: number;
  histogram?: { edges: number[]; counts: number[] };
}

export interface ApiErrorBody {
  error: { code: string; message: string; details: unknown[] };
}

export interface SavedDesign {
  id: string;
  name: string;
  version: number;
}

export interface WeightsUploadOut {
  id: string;
  version: number; // the design version the weights were checked against
  tensors: number;
  params: number;
}
