"""Tensors to PNG pictures: conv filter grids, diverging heatmaps, histograms and feature maps.

Pictures are drawn with numpy and Pillow only (no matplotlib): a lookup-table colormap, nearest
upscaling and one PNG encode, so a 4096x4096 heatmap renders in tens of milliseconds. Every
picture uses one symmetric colour scale around zero (white is 0, red positive, blue negative) so
that `init` choices and magnitudes stay comparable; when a tensor is too large to show pixel for
pixel it is reduced by an aggregate that is named in the picture's note (signed max-abs pooling
keeps the largest weight of each block, sign included). The same tensor gives the same bytes.

Layout (documented sizes, see README "Measuring"): the data area (h x w) is at most `MAX_SIDE`
pixels a side; a picture is `TITLE_H + PAD + h + PAD` tall and `max(MIN_WIDTH, PAD + w + PAD)`
wide, plus `PAD + BAR_W + LABEL_W` (100 px) for the scale bar of diverging pictures.
"""

from __future__ import annotations

import io
import math
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

MAX_SIDE = 1024
MIN_SIDE = 256
MIN_WIDTH = 256
CHAR_W = 6  # the default bitmap font's advance
MIN_STRIPE = 16
PAD = 8
TITLE_H = 14
BAR_W = 16
LABEL_W = 76
GAP = 1
MAX_TILE_SCALE = 12
HIST_W, HIST_H = 640, 320
MAX_MAPS = 16
MAP_MIN_SIDE = 64

Array = NDArray[np.float32]
Pixels = NDArray[np.uint8]

# Palette pictures: LEVELS diverging colours (index ZERO is white, 0 is full blue, LEVELS-1 full red)
# plus black text, grey gaps and a white background; one byte per pixel keeps the encode fast.
LEVELS = 253
ZERO = (LEVELS - 1) // 2
BLACK, GREY, WHITE = 253, 254, 255


@dataclass(frozen=True)
class Picture:
    """An encoded PNG and what a reader must know about it (its size and any reduction made)."""

    png: bytes
    width: int
    height: int
    note: str


def _palette() -> bytes:
    """Blue (-max) through white (0) to red (+max), then black, grey and white."""
    blue, white, red = np.array([59, 76, 192.0]), np.array([255.0, 255, 255]), np.array([180, 4, 38.0])
    t = np.linspace(-1.0, 1.0, LEVELS)[:, None]
    ramp = np.where(t < 0, white + (blue - white) * -t, white + (red - white) * t)
    extra = np.array([[0, 0, 0], [200, 200, 200], [255, 255, 255]], dtype=np.float64)
    return bytes(np.rint(np.vstack([ramp, extra])).astype(np.uint8).tobytes())


PALETTE = _palette()
FONT = ImageFont.load_default_imagefont()


def _as_array(values: object) -> Array:
    return np.asarray(values, dtype=np.float32)


def _finite(arr: Array) -> Array:
    """Non-finite values (NaN, inf) are drawn as 0; callers state that in the note."""
    return arr if np.isfinite(arr).all() else np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)


def _vmax(arr: Array) -> float:
    peak = float(max(arr.max(), -arr.min())) if arr.size else 0.0
    return peak if peak > 0 else 1.0


def levels(arr: Array, vmax: float) -> Pixels:
    """Palette indices of values: `-vmax` -> 0 (blue), 0 -> ZERO (white), `vmax` -> LEVELS-1 (red)."""
    scaled = np.clip(arr * (ZERO / vmax), -ZERO, ZERO)
    out: Pixels = (np.rint(scaled) + ZERO).astype(np.uint8)
    return out


def _reduce(arr: Array, f: int, axis: int) -> tuple[Array, Array]:
    """Block max and min along one axis by elementwise passes over strided views (fast in numpy)."""
    n = arr.shape[axis]
    if n % f:
        pad = [(0, 0), (0, 0)]
        pad[axis] = (0, f - n % f)
        arr = np.pad(arr, pad)
    views = [arr[j::f] if axis == 0 else arr[:, j::f] for j in range(f)]
    hi = views[0].copy()
    lo = hi.copy()
    for view in views[1:]:
        np.maximum(hi, view, out=hi)
        np.minimum(lo, view, out=lo)
    return hi, lo


def signed_maxabs_pool(arr: Array, fr: int, fc: int) -> Array:
    """Reduce each fr x fc block to its value of largest magnitude, sign kept (honest about peaks)."""
    if fr == 1 and fc == 1:
        return arr
    hi, lo = _reduce(arr, fr, 0) if fr > 1 else (arr, arr)
    if fc > 1:
        hi, _ = _reduce(hi, fc, 1)
        _, lo = _reduce(lo, fc, 1)
    return np.where(hi >= -lo, hi, lo)


def upscale(pixels: Pixels, sy: int, sx: int) -> Pixels:
    if sy == 1 and sx == 1:
        return pixels
    return np.repeat(np.repeat(pixels, sy, axis=0), sx, axis=1)


def heatmap_layout(rows: int, cols: int) -> tuple[int, int, int, int]:
    """(block rows, block cols, y scale, x scale) for a rows x cols matrix; see `heatmap`."""
    fr, fc = math.ceil(rows / MAX_SIDE), math.ceil(cols / MAX_SIDE)
    h, w = math.ceil(rows / fr), math.ceil(cols / fc)
    s = max(1, MIN_SIDE // max(h, w))
    sy = min(max(s, math.ceil(MIN_STRIPE / h)), MAX_SIDE // h)
    sx = min(max(s, math.ceil(MIN_STRIPE / w)), MAX_SIDE // w)
    return fr, fc, sy, sx


def _fmt(v: float) -> str:
    return f"{v:+.3g}"


def _encode(image: Image.Image, note: str) -> Picture:
    info = PngInfo()
    info.add_text("Description", note)
    buf = io.BytesIO()
    # Run-length deflate: weight pictures are noise or runs of upscaled pixels, where it is about
    # 3x faster than zlib's default strategy and no larger.
    image.save(buf, format="PNG", compress_level=1, compress_type=zlib.Z_RLE, pnginfo=info)
    return Picture(buf.getvalue(), image.width, image.height, note)


def _canvas(data: Pixels, title: str, bar: bool) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """White canvas with `data` under a title line; palette mode for index data, RGB for (h, w, 3)."""
    h, w = data.shape[:2]
    width = max(PAD + w + (PAD + BAR_W + LABEL_W if bar else 0) + PAD, MIN_WIDTH)
    height = TITLE_H + PAD + h + PAD
    title = title[: (width - 2 * PAD) // CHAR_W]
    rgb = data.ndim == 3
    canvas = np.full((height, width, 3) if rgb else (height, width), 255 if rgb else WHITE, dtype=np.uint8)
    canvas[TITLE_H + PAD : TITLE_H + PAD + h, PAD : PAD + w] = data
    image = Image.fromarray(canvas, "RGB" if rgb else "P")
    if not rgb:
        image.putpalette(PALETTE)
    draw = ImageDraw.Draw(image)
    draw.text((PAD, 2), title, fill=(0, 0, 0) if rgb else BLACK, font=FONT)
    return image, draw


def _compose(data: Pixels, title: str, note: str, vmax: float | None) -> Picture:
    """Place the data area under a title line; add a labelled scale bar when `vmax` is given."""
    image, draw = _canvas(data, title, vmax is not None)
    if vmax is not None:
        _scale_bar(image, draw, PAD + data.shape[1] + PAD, TITLE_H + PAD, data.shape[0], vmax)
    return _encode(image, note)


def _scale_bar(image: Image.Image, draw: ImageDraw.ImageDraw, x: int, y: int, h: int, vmax: float) -> None:
    ramp = levels(np.linspace(vmax, -vmax, max(h, 2), dtype=np.float32)[:h], vmax)
    bar = np.ascontiguousarray(np.repeat(ramp[:, None], BAR_W, axis=1))
    image.paste(Image.fromarray(bar, "L"), (x, y))
    draw.rectangle((x, y, x + BAR_W - 1, y + h - 1), outline=BLACK)
    lx = x + BAR_W + 3
    draw.text((lx, y), _fmt(vmax), fill=BLACK, font=FONT)
    if h >= 40:
        draw.text((lx, y + h // 2 - 5), "0", fill=BLACK, font=FONT)
    draw.text((lx, max(y, y + h - 11)), _fmt(-vmax), fill=BLACK, font=FONT)


def _checked(arr: Array) -> tuple[Array, str]:
    clean = _finite(arr)
    return clean, "" if clean is arr else "; non-finite values drawn as 0"


def heatmap(matrix: object, title: str) -> Picture:
    """A 2-D tensor as a diverging heatmap with a scale bar; >1024 a side is max-abs pooled."""
    arr = _as_array(matrix)
    if arr.ndim < 2:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"a heatmap needs a non-empty 2-D tensor, got shape {list(arr.shape)}")
    fr, fc, sy, sx = heatmap_layout(*arr.shape)
    reduced, bad = _checked(signed_maxabs_pool(arr, fr, fc))
    vmax = _vmax(reduced)
    note = f"{arr.shape[0]}x{arr.shape[1]} shown pixel for pixel{bad}"
    if fr > 1 or fc > 1:
        note = (
            f"{arr.shape[0]}x{arr.shape[1]} reduced to {reduced.shape[0]}x{reduced.shape[1]}: "
            f"each pixel is the signed max-abs of a {fr}x{fc} block{bad}"
        )
    pixels = upscale(levels(reduced, vmax), sy, sx)
    return _compose(pixels, f"{title}  {arr.shape[0]}x{arr.shape[1]}  |max| {vmax:.3g}", note, vmax)


def _kernels(weight: Array) -> tuple[Array, str]:
    """Bring conv weights to (out, in, kh, kw); 3-D kernels show their middle depth slice."""
    if weight.ndim == 3:
        return weight[:, :, None, :], ""
    if weight.ndim == 4:
        return weight, ""
    if weight.ndim == 5:
        mid = weight.shape[2] // 2
        return weight[:, :, mid], f"; depth slice {mid} of {weight.shape[2]}"
    raise ValueError(f"filters need a conv weight of 3 to 5 dims, got shape {list(weight.shape)}")


def _grid(tiles: Pixels, cols: int, scale: int) -> Pixels:
    """Lay (n, kh, kw[, 3]) tiles out row-major, `cols` per row, GAP pixels of grey between them."""
    n, kh, kw = tiles.shape[:3]
    rows = math.ceil(n / cols)
    ch, cw = kh * scale + GAP, kw * scale + GAP
    gap = np.array([200, 200, 200], np.uint8) if tiles.ndim == 4 else GREY
    cells = np.empty((rows * cols, ch, cw, *tiles.shape[3:]), dtype=np.uint8)
    cells[...] = gap
    big = upscale(tiles.reshape(n * kh, kw, *tiles.shape[3:]), scale, scale)
    cells[:n, : kh * scale, : kw * scale] = big.reshape(n, kh * scale, kw * scale, *tiles.shape[3:])
    out = cells.reshape(rows, cols, ch, cw, *tiles.shape[3:]).swapaxes(1, 2)
    flat = out.reshape(rows * ch, cols * cw, *tiles.shape[3:])
    return np.ascontiguousarray(flat[: rows * ch - GAP, : cols * cw - GAP])


def _tile_scale(count: int, k: int) -> int:
    return max(1, min(MAX_TILE_SCALE, (MAX_SIDE // count - GAP) // k))


def _square_grid(arr: Array, vmax: float) -> tuple[Pixels, int, str, str]:
    """Filters with 3 (RGB) or 1 input channel as a square grid of tiles."""
    out_c, in_c, kh, kw = arr.shape
    k = max(kh, kw)
    n = min(out_c, (MAX_SIDE // (k + GAP)) ** 2)
    cols = math.ceil(math.sqrt(n))
    scale = _tile_scale(cols, k)
    if in_c == 3:
        rgb = np.rint((np.clip(arr[:n] / vmax, -1, 1) + 1) * 127.5).astype(np.uint8).transpose(0, 2, 3, 1)
        tiles = np.ascontiguousarray(rgb)
        kind = "RGB tiles (input channels as R,G,B; mid-grey is 0, full is |max|)"
    else:
        tiles, kind = levels(arr[:n, 0], vmax), "one tile per filter"
    shown = f"{n} of {out_c} filters" if n < out_c else f"{out_c} filters"
    return _grid(tiles, cols, scale), scale, kind, shown


def _channel_grid(arr: Array, vmax: float) -> tuple[Pixels, int, str, str]:
    """Filters as rows, input channels as columns, one diverging tile per kernel slice."""
    out_c, in_c, kh, kw = arr.shape
    k = max(kh, kw)
    fit = MAX_SIDE // (k + GAP)
    rows_n, cols_n = min(out_c, fit), min(in_c, fit)
    scale = _tile_scale(max(rows_n, cols_n), k)
    tiles = levels(arr[:rows_n, :cols_n].reshape(rows_n * cols_n, kh, kw), vmax)
    shown = f"{rows_n} of {out_c} filters x {cols_n} of {in_c} input channels"
    return _grid(tiles, cols_n, scale), scale, "rows: output filters, columns: input channels", shown


def filters(weight: object, title: str) -> Picture:
    """Conv kernels as tiles: RGB tiles when there are 3 input channels, else one tile per input channel.

    With 3 (or 1) input channels, filters form a square grid; otherwise rows are output filters and
    columns input channels. Filters beyond what fits in MAX_SIDE pixels are left out and the note
    says how many are shown.
    """
    arr, extra = _kernels(_as_array(weight))
    arr, bad = _checked(arr)
    vmax = _vmax(arr)
    rgb = arr.shape[1] == 3
    grid = _square_grid if arr.shape[1] in (1, 3) else _channel_grid
    data, scale, kind, shown = grid(arr, vmax)
    note = f"{kind}; {shown}; {arr.shape[2]}x{arr.shape[3]} kernels at {scale}x{extra}{bad}"
    return _compose(data, f"{title}  {list(arr.shape)}  |max| {vmax:.3g}", note, None if rgb else vmax)


def histogram(values: object, title: str, bins: int = 64) -> Picture:
    """A histogram (HIST_W x HIST_H) with the mean (red) and mean +- one std (orange) marked."""
    arr = _as_array(values).ravel()
    if arr.size == 0:
        raise ValueError("a histogram needs at least one value")
    lo, hi = float(arr.min()), float(arr.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts, _ = np.histogram(arr, bins=bins, range=(lo, hi))
    mean, std = float(arr.mean(dtype=np.float64)), float(arr.std(dtype=np.float64))
    image = Image.new("RGB", (HIST_W, HIST_H), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    x0, x1, y0, y1 = PAD * 2, HIST_W - PAD * 2, TITLE_H + PAD * 2, HIST_H - TITLE_H - PAD * 2
    top = max(int(counts.max()), 1)
    bw = (x1 - x0) / bins
    for i, c in enumerate(counts.tolist()):
        if c:
            left, right = round(x0 + i * bw), round(x0 + (i + 1) * bw) - 1
            bar_top = y1 - round((y1 - y0) * c / top)
            draw.rectangle((left, bar_top, max(right, left), y1), fill=(90, 110, 170))

    def x_of(v: float) -> int:
        return round(x0 + (x1 - x0) * (v - lo) / (hi - lo))

    for v, colour in ((mean - std, (240, 150, 0)), (mean + std, (240, 150, 0)), (mean, (200, 0, 0))):
        if lo <= v <= hi:
            draw.line((x_of(v), y0, x_of(v), y1), fill=colour, width=2)
    draw.line((x0, y1, x1, y1), fill=(0, 0, 0))
    draw.text((PAD, 2), f"{title}  n={arr.size}  mean {mean:.4g}  std {std:.4g}", fill=(0, 0, 0), font=FONT)
    draw.text((x0, y1 + 4), _fmt(lo), fill=(0, 0, 0), font=FONT)
    draw.text((x1 - 6 * len(_fmt(hi)), y1 + 4), _fmt(hi), fill=(0, 0, 0), font=FONT)
    draw.text((x0, HIST_H - 12), f"{bins} bins, peak count {top}; red: mean, orange: mean +- std",
              fill=(0, 0, 0), font=FONT)
    return _encode(image, f"{bins} bins over [{lo:.4g}, {hi:.4g}]; mean {mean:.6g}, std {std:.6g}")


def feature_maps(activation: object, title: str) -> Picture:
    """One sample's activation: up to MAX_MAPS (C, H, W) maps as a grid, else a heatmap of it."""
    arr, bad = _checked(_as_array(activation))
    extra = bad
    if arr.ndim == 4:
        mid = arr.shape[1] // 2
        arr, extra = arr[:, mid], f"; depth slice {mid} of {arr.shape[1]}{bad}"
    if arr.ndim != 3:
        return heatmap(arr, title)
    c, h, w = arr.shape
    n = min(c, MAX_MAPS)
    cols = math.ceil(math.sqrt(n))
    fit = (MAX_SIDE // cols - GAP) // max(h, w)
    if fit < 1:
        picture = heatmap(arr[0], f"{title} map 0")
        return Picture(picture.png, picture.width, picture.height, f"map 0 of {c}; {picture.note}{extra}")
    vmax = _vmax(arr[:n])
    scale = max(1, min(fit, math.ceil(MAP_MIN_SIDE / max(h, w))))
    data = _grid(levels(arr[:n], vmax), cols, scale)
    note = f"first {n} of {c} maps, {h}x{w} at {scale}x, one shared scale{extra}"
    return _compose(data, f"{title}  {n}/{c} maps  |max| {vmax:.3g}", note, vmax)
