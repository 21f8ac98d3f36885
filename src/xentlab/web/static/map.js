// The saturation map view: the epochs every start (w, b) needs as each contender (the sigmoid
// neuron under each cost, the linear neuron a = z), a heat map each on one colour scale (the
// colours of xentlab's own figure, sent by the server). The maps are whichever GET
// /api/saturation returns (xentlab.experiments.saturation_map); hovering reads them, clicking
// opens the neuron view from that start with the same contenders.

import { ticks, tickText } from "./charts.js";
import { apiOrShow, buildChoices, clearError, fillDefaults, formValues, html } from "./common.js";

const MARGIN = { left: 44, right: 10, top: 8, bottom: 38 };
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export class MapView {
  constructor(setup) {
    this.setup = setup;
    this.form = document.getElementById("m-form");
    this.tip = document.getElementById("m-tip");
    this.canvases = [];
    this.resized = new ResizeObserver(() => this.render());
    this.scale = setup.map_colours.scale.map(rgb);
    this.never = rgb(setup.map_colours.never);
    this.data = null;
    this.hovered = null;
    fillDefaults(this.form, setup.parameters.map, "m");
    const { choices, default: chosen } = setup.parameters.map.contenders;
    buildChoices(document.getElementById("m-contenders"), "contenders", choices, setup.contender_groups, chosen);
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.load(); });
    new ResizeObserver(() => this.drawBar()).observe(document.getElementById("m-bar"));
  }

  // A figure per contender the server answered for, in its order, before the colour bar.
  buildFigures(contenders) {
    const box = document.getElementById("m-maps");
    if (box.dataset.contenders === contenders.join(",")) return;
    this.resized.disconnect();
    for (const figure of box.querySelectorAll("figure")) figure.remove();
    this.canvases = contenders.map((cost) => {
      const canvas = html("canvas", { class: "heat", "data-cost": cost });
      const caption = html("figcaption", {}, [
        html("span", { class: "swatch", style: `background: ${this.setup.colours[cost]}` }),
        html("b", { text: cost }),
        html("span", { class: "summary", "data-field": "summary" }),
      ]);
      document.getElementById("m-bar").parentElement.before(html("figure", { "data-cost": cost }, [caption, canvas]));
      canvas.addEventListener("mousemove", (event) => this.hover(canvas, event));
      canvas.addEventListener("mouseleave", () => { this.hovered = null; this.tip.hidden = true; this.render(); });
      canvas.addEventListener("click", (event) => this.open(canvas, event));
      this.resized.observe(canvas);
      return canvas;
    });
    box.style.setProperty("--maps", contenders.length);
    box.dataset.contenders = contenders.join(",");
  }

  show() {
    if (!this.data && !this.loading) this.load();
  }

  async load() {
    clearError();
    this.loading = true;
    const query = new URLSearchParams(formValues(this.form));
    let data;
    try {
      data = await apiOrShow(`/api/saturation?${query}`);
    } finally {
      this.loading = false;
    }
    if (data === null) return;
    this.data = data;
    this.hovered = null;
    this.buildFigures(data.contenders);
    this.paint();
    this.render();
    this.drawBar();
    document.getElementById("m-maps").dataset.loaded = "true";
  }

  colour(epochs) {
    if (epochs < 0) return this.never;
    const top = this.scale.length - 1;
    return this.scale[Math.round((Math.min(epochs, this.data.max_epochs) / this.data.max_epochs) * top)];
  }

  // One small image per contender, a pixel per start, row 0 at the top (the largest b).
  paint() {
    const { data } = this;
    const n = data.w_values.length;
    this.images = {};
    for (const [cost, map] of Object.entries(data.maps)) {
      const image = new ImageData(n, n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const [r, g, b] = this.colour(map.epochs[i][j]);
          const k = 4 * ((n - 1 - i) * n + j);
          image.data[k] = r; image.data[k + 1] = g; image.data[k + 2] = b; image.data[k + 3] = 255;
        }
      }
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = n;
      canvas.getContext("2d").putImageData(image, 0, 0);
      this.images[cost] = canvas;
      const summary = document.querySelector(`figure[data-cost="${cost}"] [data-field="summary"]`);
      summary.textContent = `${(100 * map.slow_fraction).toFixed(1)}% of starts need more than ${data.slow_epochs} epochs, ${(100 * map.never_fraction).toFixed(1)}% never arrive within ${data.max_epochs}`;
    }
  }

  area(canvas) {
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const side = Math.min(width - MARGIN.left - MARGIN.right, height - MARGIN.top - MARGIN.bottom);
    return { left: MARGIN.left, top: MARGIN.top, size: side, width, height };
  }

  // The grid cell under a mouse event, or null outside the map.
  cellAt(canvas, event) {
    if (!this.data) return null;
    const rect = canvas.getBoundingClientRect();
    const a = this.area(canvas);
    const n = this.data.w_values.length;
    const fx = (event.clientX - rect.left - a.left) / a.size;
    const fy = (event.clientY - rect.top - a.top) / a.size;
    if (fx < 0 || fx >= 1 || fy < 0 || fy >= 1) return null;
    return { i: n - 1 - Math.floor(fy * n), j: Math.floor(fx * n) };
  }

  start(cell) {
    // the grid's own values, shortened to what a person types (exact to 12 digits)
    const short = (v) => Number(v.toPrecision(12));
    return { w: short(this.data.w_values[cell.j]), b: short(this.data.b_values[cell.i]) };
  }

  hover(canvas, event) {
    const cell = this.cellAt(canvas, event);
    this.hovered = cell;
    this.render();
    if (!cell) { this.tip.hidden = true; return; }
    const { w, b } = this.start(cell);
    const said = (cost) => {
      const e = this.data.maps[cost].epochs[cell.i][cell.j];
      return e < 0 ? `not within ${this.data.max_epochs} epochs` : `${e} epochs`;
    };
    this.tip.replaceChildren();
    const line = (key, value, field) => {
      const row = document.createElement("div");
      const k = document.createElement("span");
      k.className = "k";
      k.textContent = `${key} `;
      const v = document.createElement("span");
      v.textContent = value;
      if (field) v.dataset.field = field;
      row.append(k, v);
      this.tip.append(row);
    };
    line("start", `(w, b) = (${w}, ${b})`, "start");
    for (const cost of this.data.contenders) line(cost, said(cost), cost);
    const hint = document.createElement("div");
    hint.className = "click";
    hint.textContent = "click: watch this neuron learn";
    this.tip.append(hint);
    Object.assign(this.tip.dataset, { w, b, i: cell.i, j: cell.j });
    this.tip.hidden = false;
    const x = event.clientX + 16;
    this.tip.style.left = `${Math.min(x, window.innerWidth - this.tip.offsetWidth - 8)}px`;
    this.tip.style.top = `${event.clientY + 14}px`;
  }

  open(canvas, event) {
    const cell = this.cellAt(canvas, event);
    if (!cell) return;
    const { w, b } = this.start(cell);
    const d = this.data;
    const query = new URLSearchParams({ w, b, x: d.x, y: d.y, eta: d.eta, epochs: d.max_epochs, cost: d.neuron_cost, run: "1" });
    this.tip.hidden = true;
    location.hash = `#neuron?${query}`;
  }

  render() {
    if (!this.data || !this.images) return;
    for (const canvas of this.canvases) this.renderMap(canvas);
    const side = this.canvases.length ? this.canvases[0].clientHeight : 0;
    if (side) document.getElementById("m-maps").style.setProperty("--map-side", `${side}px`);
  }

  renderMap(canvas) {
    const cost = canvas.dataset.cost;
    const a = this.area(canvas);
    if (a.size <= 0) return;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(a.width * ratio);
    canvas.height = Math.round(a.height * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.images[cost], a.left, a.top, a.size, a.size);
    const { w_values: ws, b_values: bs } = this.data;
    const n = ws.length;
    const lo = ws[0];
    const hi = ws[n - 1];
    const step = (hi - lo) / (n - 1);
    // value → pixel, cells centred on their grid values
    const px = (w) => a.left + ((w - lo + step / 2) / (step * n)) * a.size;
    const py = (b) => a.top + a.size - ((b - bs[0] + step / 2) / (step * n)) * a.size;

    ctx.font = FONT;
    ctx.fillStyle = "#5e6a78";
    ctx.strokeStyle = "#b8c0ca";
    const values = ticks(lo, hi, 6);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of values) {
      ctx.beginPath(); ctx.moveTo(px(v), a.top + a.size); ctx.lineTo(px(v), a.top + a.size + 4); ctx.stroke();
      ctx.fillText(tickText(v, values), px(v), a.top + a.size + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of values) {
      ctx.beginPath(); ctx.moveTo(a.left - 4, py(v)); ctx.lineTo(a.left, py(v)); ctx.stroke();
      ctx.fillText(tickText(v, values), a.left - 6, py(v));
    }
    ctx.fillStyle = "#1c2530";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText("starting weight w", a.left + a.size / 2, a.height - 2);
    ctx.save();
    ctx.translate(11, a.top + a.size / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText("starting bias b", 0, 0);
    ctx.restore();

    // the article's two starts
    ctx.lineWidth = 2;
    for (const [w, b] of this.setup.article.starts) {
      if (w < lo || w > hi || b < bs[0] || b > bs[n - 1]) continue;
      ctx.strokeStyle = "#fff";
      ctx.beginPath(); ctx.arc(px(w), py(b), 7, 0, 2 * Math.PI); ctx.stroke();
      ctx.fillStyle = "#fff";
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.font = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      ctx.shadowColor = "rgba(0,0,0,.6)";
      ctx.shadowBlur = 3;
      ctx.fillText(`(${w}, ${b})`, px(w) + 9, py(b) - 4);
      ctx.shadowBlur = 0;
      ctx.font = FONT;
    }

    // the hovered start, on every map
    if (this.hovered) {
      const x = px(ws[this.hovered.j]);
      const y = py(bs[this.hovered.i]);
      ctx.strokeStyle = "rgba(255,255,255,.85)";
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(a.left, y); ctx.lineTo(a.left + a.size, y);
      ctx.moveTo(x, a.top); ctx.lineTo(x, a.top + a.size);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#ff9f1c";
      ctx.beginPath(); ctx.arc(x, y, 5, 0, 2 * Math.PI); ctx.stroke();
    }
  }

  // The shared colour scale: 0 epochs at the bottom, the most at the top, grey for never.
  drawBar() {
    const canvas = document.getElementById("m-bar");
    if (!this.data || !canvas.clientWidth) return;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const top = 30;
    const bottom = height - 64;
    const x = 8;
    const barWidth = 18;
    const max = this.data.max_epochs;
    const steps = this.scale.length;
    for (let k = 0; k < steps; k++) {
      const [r, g, b] = this.scale[k];
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      const y0 = bottom - ((k + 1) / steps) * (bottom - top);
      ctx.fillRect(x, y0, barWidth, (bottom - top) / steps + 0.5);
    }
    ctx.font = FONT;
    ctx.fillStyle = "#5e6a78";
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    const values = ticks(0, max, 5);
    for (const v of values) ctx.fillText(tickText(v, values), x + barWidth + 6, bottom - (v / max) * (bottom - top));
    const [r, g, b] = this.never;
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x, bottom + 14, barWidth, 16);
    ctx.fillStyle = "#5e6a78";
    ctx.fillText("never", x + barWidth + 6, bottom + 22);
    ctx.fillStyle = "#1c2530";
    ctx.textBaseline = "top";
    ctx.fillText("epochs", x, 4);
    ctx.fillStyle = "#5e6a78";
    ctx.fillText(`until |a − y|`, x, bottom + 36);
    ctx.fillText(`< ${this.data.threshold}`, x, bottom + 50);
  }
}
