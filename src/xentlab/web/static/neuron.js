// The neuron view: one neuron's path as each contender (a sigmoid neuron under the quadratic
// cost or cross-entropy, the linear neuron a = z under the quadratic cost), played back epoch by
// epoch. The whole path (w, b, z, a, C, da/dz and the gradient of every epoch, and the slowdown
// table's numbers) comes from GET /api/neuron, computed by xentlab.neuron; this file only draws it.

import { LineChart } from "./charts.js";
import { apiOrShow, buildChoices, clearError, fillDefaults, fmt, formValues, html, show, svg } from "./common.js";

const SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, Infinity]; // epochs a second
const DEFAULT_SPEED = 5;
const GREY = "#8a96a3";
// Each contender's gradient (its label: COST[/OUTPUT]): σ′(z) stays only in the sigmoid neuron's
// under the quadratic cost; the linear neuron's a = z has slope 1.
const GRADIENTS = {
  quadratic: "∂C/∂w = x (a − y) σ′(z)",
  "cross-entropy": "∂C/∂w = x (a − y)",
  "quadratic/linear": "∂C/∂w = x (a − y)",
};
// How each output is drawn: the symbol in the neuron's body, the inset's curve, its slope's name.
const OUTPUTS = {
  sigmoid: { body: "σ", curve: "σ(z)", slope: "σ′(z)", a: [0, 1] },
  linear: { body: "a = z", curve: "a = z", slope: "da/dz", a: [-8, 8] },
};
// What each panel shows at the current epoch: the neuron's state, then what drives learning
// (da/dz is σ′(z) for a sigmoid neuron, 1 for a linear one; its label is the output's).
const READOUTS = [
  ["epoch", "epoch"], ["w", "w"], ["b", "b"], ["z", "z"], ["a", "a"],
  ["C", "cost C"], ["da_dz", null], ["dC_dw", "∂C/∂w"], ["dC_db", "∂C/∂b"],
];
const KEY_READOUTS = new Set(["a", "C", "dC_dw"]);
const PRESET_WORDS = ["mildly wrong", "saturated, badly wrong"];

export class NeuronView {
  constructor(setup) {
    this.setup = setup;
    this.form = document.getElementById("n-form");
    this.scrub = document.getElementById("n-scrub");
    this.pauseButton = document.getElementById("n-pause");
    this.speed = document.getElementById("n-speed");
    this.data = null;
    this.t = 0;
    this.playing = false;
    this.panels = [];

    fillDefaults(this.form, setup.parameters.neuron, "n");
    const { choices, default: chosen } = setup.parameters.neuron.cost;
    // the same choices as the command line's --cost: the server's one declaration of them
    buildChoices(document.getElementById("n-cost"), "cost", choices, setup.contender_groups, chosen);
    this.speed.value = DEFAULT_SPEED;
    this.showSpeed();
    this.buildPresets();

    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.run(); });
    this.form.addEventListener("input", (event) => {
      if (event.target.type === "number") this.markPreset();
    });
    this.speed.addEventListener("input", () => this.showSpeed());
    this.pauseButton.addEventListener("click", () => this.togglePause());
    this.scrub.addEventListener("input", () => {
      this.playing = false;
      this.t = Number(this.scrub.value);
      this.render();
    });
  }

  buildPresets() {
    const { starts, outputs, x, y, eta } = this.setup.article;
    const box = document.getElementById("n-presets");
    starts.forEach(([w, b], i) => {
      const button = html("button", { type: "button", class: "preset", "data-preset": `${w},${b}` }, [
        html("b", { text: `(w, b) = (${w.toFixed(1)}, ${b.toFixed(1)})` }),
        html("span", { text: `${PRESET_WORDS[i] || "the article's start"}: a ≈ ${outputs[i].toFixed(2)}, x = ${x}, y = ${y}, η = ${eta}` }),
      ]);
      button.addEventListener("click", () => {
        this.setInputs({ w, b, x, y, eta });
        this.markPreset();
      });
      box.append(button);
    });
    this.markPreset();
  }

  markPreset() {
    const v = formValues(this.form);
    const { x, y, eta } = this.setup.article;
    for (const button of this.form.querySelectorAll(".preset")) {
      const [w, b] = button.dataset.preset.split(",").map(Number);
      const same = Number(v.w) === w && Number(v.b) === b && Number(v.x) === x && Number(v.y) === y && Number(v.eta) === eta;
      button.classList.toggle("active", same);
    }
  }

  setInputs(values) {
    for (const [name, value] of Object.entries(values)) {
      const input = this.form.querySelector(`#n-${name}`);
      if (input) input.value = value;
    }
  }

  setCost(cost) {
    for (const radio of this.form.querySelectorAll('input[name="cost"]')) radio.checked = radio.value === cost;
  }

  showSpeed() {
    const speed = SPEEDS[Number(this.speed.value)];
    const text = speed === Infinity ? "at once" : speed === 1 ? "1 epoch a second" : `${speed} epochs a second`;
    document.getElementById("n-speed-text").textContent = text;
  }

  // The view is shown: #neuron?w=...&b=...&run starts it from there (the map's clicks do this).
  show(params) {
    const given = {};
    for (const name of ["w", "b", "x", "y", "eta", "epochs"]) if (params.has(name)) given[name] = params.get(name);
    this.setInputs(given);
    if (params.has("cost")) this.setCost(params.get("cost"));
    this.markPreset();
    if (params.has("run")) {
      history.replaceState(null, "", "#neuron");
      this.run();
    }
  }

  async run() {
    clearError();
    this.playing = false;
    const query = new URLSearchParams(formValues(this.form));
    const data = await apiOrShow(`/api/neuron?${query}`);
    if (data === null) return;
    this.data = data;
    this.build();
    this.t = 0;
    this.play();
  }

  play() {
    this.playing = true;
    this.pauseButton.disabled = false;
    this.pauseButton.textContent = "Pause";
    let last = performance.now();
    const step = (now) => {
      if (!this.playing) return;
      const speed = SPEEDS[Number(this.speed.value)];
      // a frame's time may precede the moment play() was called: never step backwards
      const seconds = Math.max(0, now - last) / 1000;
      this.t = speed === Infinity ? this.data.epochs : Math.min(this.data.epochs, this.t + speed * seconds);
      last = Math.max(last, now);
      if (this.t >= this.data.epochs) this.playing = false;
      this.render();
      if (this.playing) requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  togglePause() {
    if (!this.data) return;
    if (this.playing) { this.playing = false; this.render(); return; }
    if (this.t >= this.data.epochs) this.t = 0;
    this.play();
  }

  build() {
    const { data } = this;
    document.getElementById("n-timeline").hidden = false;
    document.getElementById("n-table-card").hidden = false;
    document.getElementById("n-total").textContent = data.epochs;
    this.scrub.max = data.epochs;
    // "a < θ" says |a − y| < θ only for a sigmoid output (a > 0) and y = 0
    const plain = data.y === 0 && data.runs.every((run) => run.output === "sigmoid");
    const within = (th) => (plain ? `epochs to a < ${th}` : `epochs to |a − y| < ${th}`);
    document.getElementById("n-th-05").textContent = within(0.5);
    document.getElementById("n-th-02").textContent = within(0.2);
    const box = document.getElementById("n-panels");
    box.replaceChildren();
    const body = document.querySelector("#n-table tbody");
    body.replaceChildren();
    this.panels = data.runs.map((run) => {
      const panel = new Panel(run, data, this.setup);
      box.append(panel.element);
      body.append(panel.row);
      return panel;
    });
    for (const panel of this.panels) panel.chart.redraw();
  }

  render() {
    const epoch = Math.floor(this.t);
    const done = epoch >= this.data.epochs;
    document.getElementById("n-epoch").textContent = epoch;
    this.scrub.value = epoch;
    this.pauseButton.textContent = this.playing ? "Pause" : done ? "Replay" : "Resume";
    for (const panel of this.panels) panel.render(epoch, done);
  }
}

// One contender's column: the neuron drawn with its current numbers, its activation's curve, a
// row of the table.
class Panel {
  constructor(run, data, setup) {
    this.run = run;
    this.data = data;
    this.setup = setup;
    this.output = OUTPUTS[run.output];
    this.colour = setup.colours[run.cost];
    this.path = run.trajectory;
    this.element = html("article", { class: "panel card", "data-run": run.cost, "data-output": run.output, style: `--panel-colour: ${this.colour}` });
    const formula = GRADIENTS[run.cost] || "";
    const title = html("h3", {}, [html("span", { text: run.cost }), html("span", { class: "formula", text: formula })]);
    this.fields = {};
    const readouts = html("dl", { class: "readouts" });
    for (const [key, label] of READOUTS) {
      const value = html("dd", { "data-field": key });
      this.fields[key] = value;
      const shown = label || this.output.slope;
      readouts.append(html("div", KEY_READOUTS.has(key) ? { class: "key" } : {}, [html("dt", { text: shown }), value]));
    }
    const canvas = html("canvas", { class: "curve" });
    const legend = html("div", { class: "legend" }, [
      html("span", { class: "legend-line", style: `border-top-color: ${this.colour}` }), "cost C (left axis)",
      html("span", { class: "legend-line dashed", style: `border-top-color: ${GREY}` }), "output a (right axis)",
    ]);
    this.element.append(title, this.diagram(), html("div", { class: "under" }, [readouts, this.activation()]), legend, canvas);
    const maxCost = Math.max(...this.path.C);
    // a sigmoid's a lies in [0, 1]; a linear neuron's a = z wherever z goes (4 from (2, 2))
    const outputs = [...this.path.a, data.y];
    const outputRange = [Math.min(0, ...outputs), Math.max(1, ...outputs)];
    Object.assign(canvas.dataset, { outputMin: outputRange[0], outputMax: outputRange[1] });
    this.chart = new LineChart(canvas, {
      x: [0, data.epochs],
      y: [0, maxCost * 1.08 || 1],
      y2: outputRange,
      xLabel: "epoch",
      yLabel: "cost C",
      yColour: this.colour,
      y2Label: "output a",
    });
    this.row = html("tr", { "data-run": run.cost });
    const cell = (field, text) => html("td", { "data-field": field, text });
    this.cells = {
      th05: cell("first-0.5", ""),
      th02: cell("first-0.2", ""),
      steepest: cell("steepest", ""),
    };
    this.row.append(
      html("td", {}, [html("span", { class: "swatch", style: `background: ${this.colour}` }), run.cost]),
      cell("eta", String(data.eta)),
      cell("start", `(${data.w}, ${data.b})`),
      this.cells.th05,
      this.cells.th02,
      this.cells.steepest,
      cell("slope", fmt(run.initial_slope)),
    );
  }

  diagram() {
    const c = this.colour;
    const id = `arrow-${this.run.cost.replace(/[^a-z0-9-]/gi, "-")}`; // an id has no "/"
    const d = svg("svg", { class: "diagram", viewBox: "0 0 420 122", role: "img", "aria-label": `the neuron under the ${this.run.cost} cost` });
    const defs = svg("defs");
    const marker = svg("marker", { id, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto" });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8a96a3" }));
    defs.append(marker);
    d.append(defs);
    d.append(svg("line", { x1: 56, y1: 68, x2: 192, y2: 68, stroke: c, "stroke-width": 3 }));
    d.append(svg("line", { x1: 226, y1: 18, x2: 226, y2: 34, stroke: "#8a96a3", "stroke-width": 2 }));
    d.append(svg("line", { x1: 261, y1: 68, x2: 344, y2: 68, stroke: "#8a96a3", "stroke-width": 2, "marker-end": `url(#${id})` }));
    d.append(svg("circle", { cx: 34, cy: 68, r: 21, fill: "#f1f4f7", stroke: "#9aa5b1", "stroke-width": 1.5 }));
    d.append(svg("text", { x: 34, y: 73, "text-anchor": "middle" }, `${this.data.x}`));
    d.append(svg("text", { x: 34, y: 108, "text-anchor": "middle", class: "label" }, "input x"));
    this.body = svg("circle", { cx: 226, cy: 68, r: 34, fill: c, "fill-opacity": 0.5, stroke: c, "stroke-width": 2 });
    d.append(this.body);
    const body = this.output.body;
    d.append(svg("text", { x: 226, y: body.length > 1 ? 74 : 76, "text-anchor": "middle", class: body.length > 1 ? "big wide" : "big", "data-field": "body" }, body));
    this.wText = svg("text", { x: 124, y: 58, "text-anchor": "middle", fill: c, class: "value" });
    this.bText = svg("text", { x: 226, y: 12, "text-anchor": "middle", class: "value" });
    this.aText = svg("text", { x: 305, y: 58, "text-anchor": "middle", class: "value" });
    this.zText = svg("text", { x: 226, y: 118, "text-anchor": "middle", class: "label" });
    d.append(this.wText, this.bText, this.aText, this.zText);
    d.append(svg("rect", { x: 350, y: 50, width: 66, height: 36, rx: 7, fill: "#f1f4f7", stroke: "#9aa5b1" }));
    d.append(svg("text", { x: 383, y: 73, "text-anchor": "middle" }, `y = ${this.data.y}`));
    d.append(svg("text", { x: 383, y: 108, "text-anchor": "middle", class: "label" }, "target"));
    return d;
  }

  // The activation over z in [−8, 8] with the neuron's z on it, and the tangent whose slope is
  // da/dz. σ(z) (sampled by the server): on its flat ends σ'(z) is nearly 0, and the quadratic
  // cost's gradient with it. a = z: a line of slope 1 everywhere, nothing to saturate.
  activation() {
    const { z, a } = this.setup.sigmoid;
    const [low, high] = this.output.a;
    const clamp = (value, lo, hi) => Math.max(lo, Math.min(hi, value));
    this.zScale = 130 / 16; // pixels per unit of z, and of a
    this.aScale = 72 / (high - low);
    this.toX = (value) => 10 + (clamp(value, -8, 8) + 8) * this.zScale;
    this.toY = (value) => 84 - (clamp(value, low, high) - low) * this.aScale;
    const curve = this.output.curve;
    const s = svg("svg", { class: "activation", viewBox: "0 0 150 104", role: "img", "aria-label": `where the neuron sits on ${curve}` });
    s.append(svg("line", { x1: 10, y1: this.toY(0), x2: 140, y2: this.toY(0), stroke: "#d5dbe2" }));
    s.append(svg("line", { x1: 10, y1: 12, x2: 140, y2: 12, stroke: "#eef1f4", "stroke-dasharray": "3 3" }));
    s.append(svg("line", { x1: 75, y1: 8, x2: 75, y2: 88, stroke: "#eef1f4" }));
    const along = this.run.output === "linear" ? z : a; // a = z, or σ(z)
    const points = z.map((v, i) => `${this.toX(v).toFixed(1)},${this.toY(along[i]).toFixed(1)}`);
    s.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: "#5e6a78", "stroke-width": 2, "data-curve": this.run.output }));
    s.append(svg("text", { x: 142, y: 98, "text-anchor": "end", class: "label" }, "z"));
    s.append(svg("text", { x: 12, y: 9, class: "label" }, curve));
    this.tangent = svg("line", { stroke: this.colour, "stroke-width": 1.5, "stroke-dasharray": "4 2" });
    this.zDot = svg("circle", { r: 5, fill: this.colour, stroke: "#fff", "stroke-width": 2 });
    s.append(this.tangent, this.zDot);
    return s;
  }

  render(epoch, done) {
    const p = this.path;
    const { fields } = this;
    show(fields.epoch, epoch, String(epoch));
    for (const key of ["w", "b", "z", "a", "C", "da_dz", "dC_dw", "dC_db"]) show(fields[key], p[key][epoch]);
    // room is tight in the drawing (the readouts beside it say more): 0.2028, 1.4e-46
    const short = (v) => (v === 0 ? "0" : Math.abs(v) >= 1e-3 ? v.toPrecision(4) : v.toExponential(1));
    this.wText.textContent = `w = ${short(p.w[epoch])}`;
    this.bText.textContent = `b = ${short(p.b[epoch])}`;
    this.aText.textContent = `a = ${short(p.a[epoch])}`;
    this.zText.textContent = `z = ${short(p.z[epoch])}`;
    const shade = Math.max(0, Math.min(1, p.a[epoch])); // a linear neuron's a leaves [0, 1]
    this.body.setAttribute("fill-opacity", (0.12 + 0.78 * shade).toFixed(3));
    // the dot on the curve, and the tangent whose slope is da/dz (in the inset's own scale)
    const x = this.toX(p.z[epoch]);
    const y = this.toY(p.a[epoch]);
    const slope = (p.da_dz[epoch] * this.aScale) / this.zScale;
    this.zDot.setAttribute("cx", x.toFixed(1));
    this.zDot.setAttribute("cy", y.toFixed(1));
    this.tangent.setAttribute("x1", (x - 22).toFixed(1));
    this.tangent.setAttribute("x2", (x + 22).toFixed(1));
    this.tangent.setAttribute("y1", (y + 22 * slope).toFixed(1));
    this.tangent.setAttribute("y2", (y - 22 * slope).toFixed(1));

    const upTo = (values) => values.slice(0, epoch + 1).map((v, i) => [i, v]);
    const marks = [];
    const steepest = this.run.steepest_epoch;
    if (done || epoch > steepest) marks.push({ x: steepest, label: `steepest fall: epoch ${steepest}`, colour: this.colour });
    const thresholds = this.setup.article.thresholds;
    thresholds.forEach((th, i) => {
      const first = this.run.first_within[String(th)];
      const name = this.data.y === 0 && this.run.output === "sigmoid" ? `a < ${th}` : `|a − y| < ${th}`;
      if (first !== null && epoch >= first) marks.push({ x: first, label: `${name}: epoch ${first}`, colour: "#5e6a78", row: i + 1 });
    });
    this.chart.draw({
      series: [
        { points: upTo(p.a), colour: GREY, dash: [5, 4], width: 1.6, axis: "y2" },
        { points: upTo(p.C), colour: this.colour, width: 2.4 },
      ],
      dots: [{ x: epoch, y: p.C[epoch], colour: this.colour }],
      marks,
    });

    this.reveal(this.cells.th05, this.run.first_within["0.5"], epoch, done);
    this.reveal(this.cells.th02, this.run.first_within["0.2"], epoch, done);
    this.reveal(this.cells.steepest, steepest, epoch - 1, done, (e) => `epoch ${e}`);
  }

  // A table cell shows its number once the animation has reached it ("not within" at the end).
  reveal(cell, value, epoch, done, text = String) {
    let shown;
    if (value !== null && epoch >= value) shown = text(value);
    else if (done) shown = `not within ${this.data.epochs}`;
    else shown = "…";
    if (cell.textContent !== shown) {
      cell.textContent = shown;
      cell.dataset.value = value === null ? "" : String(value);
      cell.className = shown === "…" ? "pending" : shown.startsWith("not") ? "never" : "fresh";
    }
  }
}
