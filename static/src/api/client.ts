// Calls to the Torchcanvas server; every failure becomes an ApiError with the server's message.
import type { ExportKind } from "../model/exports";
import type { WeightsFormat } from "../model/weights";
import type { Analysis, GraphV1, OpsOut, ProfileOut, SavedDesign, TemplateInfo, WeightsUploadOut } from "./types";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
}

async function failure(res: Response): Promise<ApiError> {
  try {
    const body = await res.json();
    const e = body?.error;
    if (e?.message) return new ApiError(e.message, res.status, e.code ?? "error", Array.isArray(e.details) ? e.details : []);
  } catch {
    /* not our error shape: fall through to the status line */
  }
  return new ApiError(`${res.status} ${res.statusText}`, res.status, "http_error");
}

const TOKEN_KEY = "torchcanvas:token";

/** The write token of a shared server (TORCHCANVAS_TOKEN), kept for this tab only. */
export function setToken(token: string) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) throw await failure(res);
  return res;
}

function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

/** The server's file for an export; the JSON export is made in the page and never asks. */
async function exportFile(kind: Exclude<ExportKind, "json">, graph: GraphV1): Promise<{ blob: Blob; disposition: string | null }> {
  const res = kind === "python" || kind === "onnx"
    ? await post(`/api/v1/export/${kind}`, { graph })
    : await post("/api/v1/export/weights", { graph, format: kind });
  return { blob: await res.blob(), disposition: res.headers.get("Content-Disposition") };
}

export const api = {
  ops: async (): Promise<OpsOut> => (await request("/api/v1/ops")).json(),
  analyze: async (graph: GraphV1, signal?: AbortSignal): Promise<Analysis> =>
    (await post("/api/v1/analyze", graph, signal)).json(),
  templates: async (): Promise<TemplateInfo[]> => (await request("/api/v1/templates")).json(),
  template: async (name: string): Promise<GraphV1> =>
    (await request(`/api/v1/templates/${encodeURIComponent(name)}`)).json(),
  profile: async (body: Record<string, unknown>, signal?: AbortSignal): Promise<ProfileOut> =>
    (await post("/api/v1/profile", body, signal)).json(),
  weightImage: async (body: Record<string, unknown>, signal?: AbortSignal): Promise<Blob> =>
    (await post("/api/v1/weights/image", body, signal)).blob(),
  createDesign: async (graph: GraphV1): Promise<SavedDesign> => (await post("/api/v1/designs", { graph })).json(),
  updateDesign: async (id: string, graph: GraphV1, base: number): Promise<SavedDesign> =>
    (await request(`/api/v1/designs/${encodeURIComponent(id)}`, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ graph, base_version: base }),
    })).json(),
  exportFile,
  uploadWeights: async (id: string, file: Blob, format: WeightsFormat): Promise<WeightsUploadOut> =>
    (await request(`/api/v1/designs/${encodeURIComponent(id)}/weights?format=${format}`, {
      method: "PUT", headers: { "Content-Type": "application/octet-stream" }, body: file,
    })).json(),
  design: async (id: string): Promise<SavedDesign & { graph: GraphV1; has_weights: boolean }> =>
    (await request(`/api/v1/designs/${encodeURIComponent(id)}`)).json(),
  activationImage: async (body: Record<string, unknown>, signal?: AbortSignal): Promise<Blob> =>
    (await post("/api/v1/activations/image", body, signal)).blob(),
  measure: async (what: "weights/stats" | "gradients" | "activations", body: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> =>
    (await post(`/api/v1/${what}`, body, signal)).json(),
};
