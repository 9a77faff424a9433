// How numbers read on the canvas: exact counts with separators, compact FLOPs and bytes, shapes.

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

function scaled(n: number, units: string[], base: number): string {
  let k = 0;
  let v = n;
  while (Math.abs(v) >= base && k < units.length - 1) {
    v /= base;
    k++;
  }
  const digits = k === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${units[k]}`;
}

export function flops(n: number): string {
  return scaled(n, ["", "K", "M", "G", "T", "P"], 1000);
}

export function bytes(n: number): string {
  return scaled(n, [" B", " KiB", " MiB", " GiB", " TiB"], 1024);
}

export function shape(s: number[] | null | undefined): string {
  return s ? `[${s.join(", ")}]` : "?";
}

export function ms(n: number): string {
  return n >= 100 ? `${n.toFixed(0)} ms` : n >= 1 ? `${n.toFixed(2)} ms` : `${(n * 1000).toFixed(0)} µs`;
}

/** A short form of an argument value for the node's face: tuples as 3x3, booleans as words. */
export function argValue(v: unknown): string {
  if (Array.isArray(v)) return v.join("x");
  if (v === null) return "None";
  return String(v);
}
