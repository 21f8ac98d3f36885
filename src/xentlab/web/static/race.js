// The race view: one network trained under each cost at once (POST /api/races, which answers
// with the race's server-sent events), its learning curves and output saturation drawn live.
// Stop asks the server to stop the race; closing the page stops it too. The runs are those the
// race event names (a cost, or a cost on the output asked for: quadratic/linear), one per row.

import { LineChart } from "./charts.js";
import { clearError, errorText, fillDefaults, formValues, percent, show, showError } from "./common.js";

const COSTS = ["quadratic", "cross-entropy"]; // the rows' costs, until a race names its runs
const DEFAULT_PACE = "0.5";
const percentTick = (v) => `${Math.round(100 * v)}%`;

export class RaceView {
  constructor(setup) {
    this.setup = setup;
    this.form = document.getElementById("r-form");
    this.status = document.getElementById("r-status");
    this.startButton = document.getElementById("r-start");
    this.stopButton = document.getElementById("r-stop");
    this.notes = document.getElementById("r-notes");
    const parameters = setup.parameters.race;
    fillDefaults(this.form, parameters, "r");
    const datasets = document.getElementById("r-dataset");
    for (const name of parameters.dataset.choices) {
      const why = setup.datasets[name];
      const option = new Option(why ? `${name} (not found)` : name, name);
      option.disabled = Boolean(why);
      if (why) option.title = why;
      datasets.append(option);
    }
    datasets.value = parameters.dataset.default;
    document.getElementById("r-init").value = parameters.init.default;
    const outputs = document.getElementById("r-output");
    outputs.append(new Option("cost's own", ""));
    for (const name of parameters.output.choices) outputs.append(new Option(name, name));
    outputs.value = parameters.output.default ?? "";
    this.costs = COSTS;
    document.getElementById("r-pace").value = DEFAULT_PACE;

    this.accuracy = new LineChart(document.getElementById("r-accuracy"), {
      y: [0, 1], yText: percentTick, xLabel: "epochs", yLabel: "validation accuracy",
    });
    this.saturation = new LineChart(document.getElementById("r-saturation"), {
      y: [0, 1], yText: percentTick, xLabel: "epochs", yLabel: "share of outputs",
    });
    this.reset(Number(document.getElementById("r-epochs").value) || 1);

    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.start(); });
    this.stopButton.addEventListener("click", () => this.stop());
  }

  show() {}

  reset(epochs) {
    this.points = Object.fromEntries(this.costs.map((cost) => [cost, { accuracy: [], saturation: [], wrong: [] }]));
    for (const chart of [this.accuracy, this.saturation]) chart.set("x", [0, epochs]);
    this.notes.replaceChildren();
    for (const row of document.querySelectorAll("#r-table tbody tr")) {
      row.dataset.epochsSeen = "";
      for (const cell of row.querySelectorAll("[data-field]")) show(cell, null);
    }
    this.draw();
  }

  setState(state, text) {
    this.status.dataset.state = state;
    this.status.textContent = text;
    const running = state === "running" || state === "starting" || state === "stopping";
    this.startButton.disabled = running;
    this.stopButton.disabled = !(state === "running");
  }

  async start() {
    clearError();
    const values = formValues(this.form);
    if (values.output === "") delete values.output; // each cost on its own output
    this.reset(Number(values.epochs) || 1);
    this.id = null;
    this.setState("starting", "Starting…");
    let response;
    try {
      response = await fetch("/api/races", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(values),
      });
    } catch (exc) {
      this.fail(`the server did not answer (${exc.message})`);
      return;
    }
    if (!response.ok) {
      this.fail(await errorText(response));
      return;
    }
    await this.listen(response.body.getReader());
  }

  fail(message) {
    showError(message);
    this.setState("error", `Not started: ${message}`);
  }

  // Read the event stream to its end: blocks separated by a blank line, "event:" and "data:".
  async listen(reader) {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (exc) {
        this.setState("error", `The connection to the server broke (${exc.message}).`);
        return;
      }
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let kind = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) kind = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
        }
        this.on(kind, JSON.parse(data));
      }
    }
    if (this.status.dataset.state === "running" || this.status.dataset.state === "stopping") {
      this.setState("error", "The server closed the race before its end.");
    }
  }

  on(kind, data) {
    const row = data.cost ? document.querySelector(`#r-table tr[data-cost="${data.cost}"]`) : null;
    const cell = (field) => row.querySelector(`[data-field="${field}"]`);
    if (kind === "race") {
      this.id = data.id;
      this.settings = data;
      this.name(data.costs);
      for (const chart of [this.accuracy, this.saturation]) chart.set("x", [0, data.epochs]);
      this.setState("running", `Racing on ${data.dataset}, ${data.init} start, η = ${data.eta}, ${data.epochs} epochs…`);
    } else if (kind === "run") {
      show(cell("state"), null, "training");
      const s = this.settings;
      this.setState("running", `Racing: a [${data.sizes.join(", ")}] network on ${data.training_examples.toLocaleString("en")} ${s.dataset} images, ${data.batches_per_epoch} mini-batches of ${s.batch_size} an epoch, ${s.init} start, η = ${s.eta}…`);
    } else if (kind === "probe") {
      const p = this.points[data.cost];
      p.accuracy.push([data.epochs, data.validation_accuracy]);
      p.saturation.push([data.epochs, data.saturation]);
      p.wrong.push([data.epochs, data.saturated_wrong]);
      this.scheduleDraw();
    } else if (kind === "epoch") {
      const seen = row.dataset.epochsSeen ? row.dataset.epochsSeen.split(",") : [];
      row.dataset.epochsSeen = [...seen, data.epoch].join(",");
      show(cell("epochs"), data.epoch, `${data.epoch} of ${this.settings.epochs}`);
      show(cell("accuracy"), data.evaluation_accuracy, percent(data.evaluation_accuracy, 2));
      show(cell("saturation"), data.output_saturation, percent(data.output_saturation));
      show(cell("wrong"), data.saturated_wrong, percent(data.saturated_wrong));
      if (data.stall) this.note(`${data.cost}, epoch ${data.epoch}: ${data.stall}`);
    } else if (kind === "done") {
      show(cell("state"), null, data.stopped ? "stopped" : "finished");
      if (data.test_accuracy !== null) show(cell("test"), data.test_accuracy, percent(data.test_accuracy, 2));
      for (const warning of data.warnings) this.note(`${data.cost}: ${warning}`);
    } else if (kind === "error") {
      show(cell("state"), null, "failed");
      this.note(`${data.cost}: ${data.message}`, true);
    } else if (kind === "end") {
      this.draw();
      if (data.stopped) this.setState("stopped", `Stopped: ${data.reason}.`);
      else this.setState("finished", "Finished: both runs trained every epoch.");
    }
  }

  // Give row i (and its legend entry, and its points) to run i of the race: quadratic/linear
  // takes the quadratic cost's row.
  name(costs) {
    const rows = document.querySelectorAll("#r-table tbody tr");
    const legend = document.getElementById("r-legend");
    legend.replaceChildren();
    costs.forEach((cost, i) => {
      rows[i].dataset.cost = cost;
      rows[i].querySelector(".label").textContent = cost;
      rows[i].querySelector(".swatch").style.background = this.setup.colours[cost];
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = this.setup.colours[cost];
      legend.append(swatch, `${cost} `);
    });
    this.costs = costs;
    this.points = Object.fromEntries(costs.map((cost) => [cost, { accuracy: [], saturation: [], wrong: [] }]));
  }

  note(text, bad = false) {
    const item = document.createElement("li");
    item.textContent = text;
    if (bad) item.className = "bad";
    this.notes.append(item);
  }

  async stop() {
    if (!this.id) return;
    this.setState("stopping", "Stopping…");
    try {
      const response = await fetch(`/api/races/${this.id}/stop`, { method: "POST" });
      if (!response.ok) showError(await errorText(response));
    } catch (exc) {
      showError(`the server did not answer (${exc.message})`);
    }
  }

  scheduleDraw() {
    if (this.drawing) return;
    this.drawing = true;
    requestAnimationFrame(() => { this.drawing = false; this.draw(); });
  }

  draw() {
    const colours = this.setup.colours;
    const last = (points) => (points.length ? [points[points.length - 1]] : []);
    const dots = (key) => this.costs.flatMap((cost) => last(this.points[cost][key]).map(([x, y]) => ({ x, y, colour: colours[cost], radius: 3.5 })));
    this.accuracy.draw({
      series: this.costs.map((cost) => ({ points: this.points[cost].accuracy, colour: colours[cost], width: 2.2 })),
      dots: dots("accuracy"),
    });
    this.saturation.draw({
      series: this.costs.flatMap((cost) => [
        { points: this.points[cost].saturation, colour: colours[cost], width: 1.4, dash: [2, 3] },
        { points: this.points[cost].wrong, colour: colours[cost], width: 2.4 },
      ]),
      dots: dots("wrong"),
    });
  }
}
