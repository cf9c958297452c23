"""The chart of a dashboard on the page: a PNG drawn for the exact box it is shown in.

:class:`ChartView` is a small anywidget. In the page it watches its own box (a ``ResizeObserver``) and
reports the box's CSS width and height and the device pixel ratio to the kernel; the dashboard then
renders its chart at that size times that ratio, so the browser never scales the picture and chart text
keeps its designed size (11 CSS px and up). It also carries the stylesheet of every dashboard's layout
(:data:`LAYOUT_CSS`): chart and verdict table side by side when the dashboard is at least 1200 px wide,
stacked below that, sized to fit one laptop or projector screen. A ``vl-tall`` dashboard (two charts in one
picture, notebook 11) puts its controls above a full-width chart at every width.
"""

from __future__ import annotations

import math
from typing import Any

import anywidget
import traitlets

from ..viz.style import LEGEND_FONT_SIZE, PX_PER_INCH

MAX_BOX_PX = (3840, 2160)  # the largest chart box (CSS px) the page may report: a 4K screen
MIN_DPR, MAX_DPR = 0.5, 3.0  # device pixel ratios the chart is drawn at (the page's, clamped)
MAX_FONT_PX = 64.0  # the largest dashboard text size the chart's text follows
MIN_CHART_INCHES = 5.0  # room for stage names and a readable time axis (the legend then goes below the plot)

#: Layout of every dashboard (class names set by :mod:`voicelab.dashboards.dashboard`). The root is a size
#: container: ``cqw`` units and ``@container`` rules follow the dashboard's width, not the window's.
LAYOUT_CSS = """
.vl-dash { container-type: inline-size; container-name: vldash; width: 100%;
  font-size: var(--jp-widgets-font-size, 13px); }
.vl-dash table { font-size: 1em; }
.vl-dash .vl-side .widget-html-content { line-height: 1.35; }
.vl-dash .vl-side td, .vl-dash .vl-side th { white-space: nowrap; padding: 2px 6px !important; }
.vl-dash .vl-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; margin-bottom: 4px; }
.vl-dash .vl-title { font-weight: bold; }
.vl-dash .vl-headline { font-size: 1.45em; font-weight: bold; }
.vl-dash .vl-buttons { align-items: center; gap: 4px; flex-wrap: wrap; }
.vl-dash .vl-buttons button { width: auto; padding: 0 12px; }
.vl-dash .vl-buttons .widget-checkbox { width: auto; }
.vl-dash .vl-buttons .widget-checkbox .widget-label { width: auto; }
.vl-dash .vl-body { display: grid; gap: 6px 14px; align-items: start;
  grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
  grid-template-areas: "chart chart" "controls side"; }
.vl-dash .vl-controls { grid-area: controls; min-width: 0; }
.vl-dash .lm-TabBar-content { flex-wrap: wrap; }
.vl-dash .lm-TabBar-tab { flex: 0 0 auto !important; min-width: 0; max-width: none !important; }
.vl-dash .vl-side { grid-area: side; min-width: 0; }
.vl-dash .vl-chart { grid-area: chart; position: relative; width: 100%; overflow: hidden;
  height: clamp(230px, calc(100vh - 482px), 340px); }
.vl-dash .vl-chart img { position: absolute; top: 0; left: 0; display: block; }
.vl-dash .vl-controls .widget-slider { width: 100%; max-width: 100%; }
.vl-dash .vl-controls .widget-slider .slider-container { min-width: 60px; }
.vl-dash .vl-note { font-size: 0.92em; color: #555; }
.vl-dash .vl-notice { font-size: 0.92em; color: #8a4b00; font-weight: bold; }
.vl-dash.vl-tall .vl-chart { height: clamp(360px, calc(100vh - 370px), 760px); }
.vl-dash.vl-tall .vl-controls .widget-dropdown { width: 100%; }
@container vldash (min-width: 1200px) {
  .vl-dash .vl-body { grid-template-columns: minmax(0, 1fr) clamp(440px, 40%, 560px);
    grid-template-areas: "chart controls" "chart side"; grid-template-rows: auto 1fr; }
  .vl-dash .vl-chart { height: clamp(380px, calc(100vh - 190px), 560px); }
}
@container vldash (min-width: 761px) {
  .vl-dash.vl-tall .vl-body { grid-template-columns: minmax(0, 1.7fr) minmax(0, 1fr);
    grid-template-areas: "controls side" "chart chart"; grid-template-rows: auto auto; }
  .vl-dash.vl-tall .vl-controls { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
    gap: 0 12px; align-content: start; }
  .vl-dash.vl-tall .vl-chart { height: clamp(360px, calc(100vh - 370px), 760px); }
}
@container vldash (max-width: 760px) {
  .vl-dash .vl-body { grid-template-columns: minmax(0, 1fr); grid-template-areas: "chart" "controls" "side"; }
}
.vl-dash.vl-projector { --vl-projector-px: clamp(15px, 1.05vw, 20px); font-size: var(--vl-projector-px);
  --jp-widgets-font-size: var(--vl-projector-px); --jp-widgets-inline-height: calc(var(--vl-projector-px) * 1.7);
  --jp-widgets-slider-handle-size: var(--vl-projector-px);
  --jp-widgets-horizontal-tab-height: calc(var(--vl-projector-px) * 1.9); }
.vl-dash.vl-projector .widget-label, .vl-dash.vl-projector .widget-readout, .vl-dash.vl-projector button,
.vl-dash.vl-projector .lm-TabBar-tab, .vl-dash.vl-projector select { font-size: var(--vl-projector-px); }
.vl-dash.vl-projector .vl-headline { font-size: 1.3em; }
@media (min-height: 900px) {  /* a tall screen: the chart across the whole width, controls and table under it */
  .vl-dash.vl-projector .vl-body { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
    grid-template-areas: "chart chart" "controls side"; grid-template-rows: auto auto; }
  .vl-dash.vl-projector .vl-chart { height: clamp(300px, calc(100vh - 580px), 640px); }
  .vl-dash.vl-projector.vl-tall .vl-body { grid-template-columns: minmax(0, 1.7fr) minmax(0, 1fr);
    grid-template-areas: "controls side" "chart chart"; }
  .vl-dash.vl-projector.vl-tall .vl-chart { height: clamp(420px, calc(100vh - 470px), 760px); }
}
"""

_ESM = """
function render({ model, el }) {
  el.classList.add("vl-chart");
  const img = document.createElement("img");
  img.alt = model.get("alt");
  el.appendChild(img);
  let url = null;
  function show() {
    const data = model.get("png");
    el.dataset.xlim = model.get("xlim");
    el.dataset.textPt = model.get("text_pt");
    el.dataset.inches = model.get("inches");
    if (!data || !data.byteLength) return;
    const next = URL.createObjectURL(new Blob([data], { type: "image/png" }));
    const [w, h] = model.get("size");
    img.style.width = w + "px";
    img.style.height = h + "px";
    img.src = next;
    if (url) URL.revokeObjectURL(url);
    url = next;
  }
  let timer = null;
  function report() {
    const w = Math.floor(el.clientWidth), h = Math.floor(el.clientHeight), dpr = window.devicePixelRatio || 1;
    const font = parseFloat(getComputedStyle(el).fontSize) || 13;
    if (w < 50 || h < 50) return;
    const [sw, sh] = model.get("size");
    if (w === sw && h === sh && dpr === model.get("dpr") && font === model.get("font_px")) return;
    model.set({ box: [w, h], dpr: dpr, font_px: font });
    model.save_changes();
  }
  const soon = () => { clearTimeout(timer); timer = setTimeout(report, 120); };
  const observer = new ResizeObserver(soon);
  observer.observe(el);
  // The projector toggle changes the dashboard's text size (a class on its root): report the new size.
  const classes = new MutationObserver(soon);
  let watched = null;
  const watchRoot = () => {
    const root = el.closest(".vl-dash");
    if (root && root !== watched) { classes.disconnect(); classes.observe(root, { attributes: true,
      attributeFilter: ["class"] }); watched = root; }
  };
  const rootTimer = setInterval(() => { watchRoot(); if (watched) clearInterval(rootTimer); }, 200);
  model.on("change:png", show);
  model.on("change:xlim", () => { el.dataset.xlim = model.get("xlim"); });
  show();
  return () => { observer.disconnect(); classes.disconnect(); clearInterval(rootTimer); clearTimeout(timer);
    if (url) URL.revokeObjectURL(url); };
}
export default { render };
"""


class ChartView(anywidget.AnyWidget):
    """A chart image sized to its box: ``box``, ``dpr`` and ``font_px`` (the dashboard's text size) come from
    the page; ``png`` (drawn for ``size`` CSS px), ``xlim`` (the time axis shown, ``"lo,hi"`` in seconds),
    ``text_pt`` (its smallest text, points) and ``inches`` (its width in figure inches) from the kernel. The
    page shows the last three as ``data-xlim``, ``data-text-pt`` and ``data-inches`` on the chart's box, so a
    test can check the smallest text on screen: ``text_pt`` / 72 x displayed width / ``inches`` CSS px."""

    def px_per_inch(self) -> float:
        """CSS px per figure inch: the chart's smallest text as large as the dashboard's text, unless that
        leaves the chart narrower than ``MIN_CHART_INCHES`` figure inches; never below ``PX_PER_INCH`` (11 px
        text)."""
        wanted = self.font_px * 72 / LEGEND_FONT_SIZE
        return max(PX_PER_INCH, min(wanted, self.box[0] / MIN_CHART_INCHES))

    _esm = _ESM
    _css = LAYOUT_CSS
    png = traitlets.Bytes(b"").tag(sync=True)
    size = traitlets.List(traitlets.Int(), default_value=[0, 0]).tag(sync=True)
    box = traitlets.List(traitlets.Int(), default_value=[0, 0]).tag(sync=True)
    dpr = traitlets.Float(1.0).tag(sync=True)
    font_px = traitlets.Float(0.0).tag(sync=True)
    xlim = traitlets.Unicode("").tag(sync=True)
    text_pt = traitlets.Float(0.0).tag(sync=True)
    inches = traitlets.Float(0.0).tag(sync=True)
    alt = traitlets.Unicode("chart").tag(sync=True)

    # What the page reports is clamped to what a screen can show: a hostile or broken page cannot ask the
    # kernel for a picture of a million pixels a side.
    @traitlets.validate("box")
    def _clamp_box(self, proposal: dict[str, Any]) -> list[int]:
        box = list(proposal["value"])[:2] + [0, 0][len(proposal["value"]):]
        return [min(max(0, v), most) for v, most in zip(box, MAX_BOX_PX, strict=True)]

    @traitlets.validate("dpr")
    def _clamp_dpr(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        return min(max(value, MIN_DPR), MAX_DPR) if math.isfinite(value) else 1.0

    @traitlets.validate("font_px")
    def _clamp_font(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        return min(max(value, 0.0), MAX_FONT_PX) if math.isfinite(value) else 0.0
