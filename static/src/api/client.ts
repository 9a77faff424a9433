// Calls to the Torchcanvas server; every failure becomes an ApiError with the server's message.
import type { Analysis, GraphV1, OpsOut, ProfileOut, SavedDesign, TemplateInfo } from "./types";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

async function failure(res: Response): Promise<ApiError> {
  try {
    const body = await res.json();
    if (body?.error?.message) return new ApiError(body.error.message, res.status, body.error.code ?? "error");
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
  design: async (id: string): Promise<SavedDesign & { graph: GraphV1 }> =>
    (await request(`/api/v1/designs/${encodeURIComponent(id)}`)).json(),
  activationImage: async (body: Record<string, unknown>, signal?: AbortSignal): Promise<Blob> =>
    (await post("/api/v1/activations/image", body, signal)).blob(),
  measure: async (what: "weights/stats" | "gradients" | "activations", body: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> =>
    (await post(`/api/v1/${what}`, body, signal)).json(),
};
