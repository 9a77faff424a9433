import { describe, expect, it } from "vitest";
import { EXPORTS, attachmentName, downloadName, fileStem } from "./exports";

describe("export menu", () => {
  it("offers the design JSON, code, both weights formats and ONNX", () => {
    expect(EXPORTS.map((e) => e.kind)).toEqual(["json", "python", "safetensors", "pt", "onnx"]);
    expect(new Set(EXPORTS.map((e) => e.ext)).size).toBe(EXPORTS.length);
  });

  it("makes a file stem from the design's name", () => {
    expect(fileStem("ResidualBlock")).toBe("residual_block");
    expect(fileStem("My Net! v2")).toBe("my_net_v2");
    expect(fileStem("../../etc/passwd")).toBe("etc_passwd");
    expect(fileStem("")).toBe("design");
    expect(fileStem(undefined)).toBe("design");
    expect(fileStem("ünïcode")).toBe("n_code");
  });

  it("reads the server's file name and refuses anything but a plain name", () => {
    expect(attachmentName('attachment; filename="residual_block.py"')).toBe("residual_block.py");
    expect(attachmentName("attachment; filename=a.onnx")).toBe("a.onnx");
    expect(attachmentName('attachment; filename="../x/evil.sh"')).toBe("evil.sh");
    expect(attachmentName('attachment; filename=".bashrc"')).toBeNull();
    expect(attachmentName('attachment; filename="a b.py"')).toBeNull();
    expect(attachmentName(null)).toBeNull();
    expect(attachmentName("inline")).toBeNull();
  });

  it("names a download by the server's header, else by the design", () => {
    expect(downloadName("onnx", "My Net", 'attachment; filename="my_net.onnx"')).toBe("my_net.onnx");
    expect(downloadName("pt", "MyNet", null)).toBe("my_net.pt");
    expect(downloadName("json", "mlp")).toBe("mlp.json");
  });
});
