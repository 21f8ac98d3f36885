// A small line chart on a canvas: axes with round ticks, lines, dots and labelled marks.
// It draws what it is given; it knows nothing about what the numbers mean.

const INK = "#1c2530";
const MUTED = "#5e6a78";
const GRID = "#e8ebef";
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

// Tick values between min and max, about `count` of them, at 1, 2 or 5 times a power of ten.
export function ticks(min, max, count = 5) {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const f = raw / magnitude;
  const step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * magnitude;
  const values = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    values.push(Number(v.toPrecision(12)));
  }
  return values;
}

export function tickText(value, all) {
  const step = all.length > 1 ? Math.abs(all[1] - all[0]) : Math.abs(value) || 1;
  const decimals = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
  return value.toFixed(decimals);
}

export class LineChart {
  // options: xLabel, yLabel, y2Label (a right-hand axis), x, y, y2 ([min, max]),
  // yText, y2Text (tick formatters), legend ([{label, colour, dash}]).
  constructor(canvas, options = {}) {
    this.canvas = canvas;
    this.options = { x: [0, 1], y: [0, 1], y2: null, yText: tickText, y2Text: tickText, ...options };
    this.picture = { series: [], dots: [], marks: [] };
    new ResizeObserver(() => this.redraw()).observe(canvas);
  }

  set(axis, range) {
    this.options[axis] = range;
  }

  // series: [{points: [[x, y], ...], colour, dash, width, axis: "y" | "y2"}]
  // dots: [{x, y, colour, axis, radius}]; marks: [{x, label, colour}] (vertical lines)
  draw(picture) {
    this.picture = { series: [], dots: [], marks: [], ...picture };
    this.redraw();
  }

  redraw() {
    const { canvas, options: o } = this;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = FONT;
    const area = { left: 58, right: width - (o.y2 ? 50 : 14), top: 12, bottom: height - 38 };
    const sx = (x) => area.left + ((x - o.x[0]) / (o.x[1] - o.x[0] || 1)) * (area.right - area.left);
    const scaleY = (range) => (y) => area.bottom - ((y - range[0]) / (range[1] - range[0] || 1)) * (area.bottom - area.top);
    const sy = { y: scaleY(o.y), y2: o.y2 ? scaleY(o.y2) : scaleY(o.y) };
    this.scale = { sx, sy, area };

    // grid and ticks
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.fillStyle = MUTED;
    const yTicks = ticks(o.y[0], o.y[1], 5);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of yTicks) {
      const y = Math.round(sy.y(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(area.left, y); ctx.lineTo(area.right, y); ctx.stroke();
      ctx.fillText(o.yText(v, yTicks), area.left - 6, y);
    }
    if (o.y2) {
      const y2Ticks = ticks(o.y2[0], o.y2[1], 5);
      ctx.textAlign = "left";
      for (const v of y2Ticks) ctx.fillText(o.y2Text(v, y2Ticks), area.right + 6, sy.y2(v));
    }
    const xTicks = ticks(o.x[0], o.x[1], Math.max(2, Math.floor((area.right - area.left) / 70)));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of xTicks) {
      const x = Math.round(sx(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, area.bottom); ctx.lineTo(x, area.bottom + 4); ctx.strokeStyle = "#b8c0ca"; ctx.stroke();
      ctx.fillText(tickText(v, xTicks), x, area.bottom + 6);
    }
    ctx.strokeStyle = "#b8c0ca";
    ctx.beginPath(); ctx.moveTo(area.left, area.top); ctx.lineTo(area.left, area.bottom); ctx.lineTo(area.right, area.bottom); ctx.stroke();

    // axis labels
    ctx.fillStyle = INK;
    if (o.xLabel) { ctx.textAlign = "center"; ctx.textBaseline = "bottom"; ctx.fillText(o.xLabel, (area.left + area.right) / 2, height - 2); }
    const sideways = (text, x, colour) => {
      ctx.save(); ctx.translate(x, (area.top + area.bottom) / 2); ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center"; ctx.textBaseline = "top"; ctx.fillStyle = colour; ctx.fillText(text, 0, 0); ctx.restore();
    };
    if (o.yLabel) sideways(o.yLabel, 4, o.yColour || INK);
    if (o.y2 && o.y2Label) sideways(o.y2Label, width - 16, o.y2Colour || MUTED);

    // lines, clipped to the plot
    ctx.save();
    ctx.beginPath(); ctx.rect(area.left, area.top - 2, area.right - area.left, area.bottom - area.top + 4); ctx.clip();
    for (const line of this.picture.series) {
      if (line.points.length < 1) continue;
      const toY = sy[line.axis || "y"];
      ctx.strokeStyle = line.colour || INK;
      ctx.lineWidth = line.width || 2;
      ctx.setLineDash(line.dash || []);
      ctx.lineJoin = "round";
      ctx.beginPath();
      line.points.forEach(([x, y], i) => (i ? ctx.lineTo(sx(x), toY(y)) : ctx.moveTo(sx(x), toY(y))));
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.restore();

    // vertical marks with their labels, then dots on top
    for (const mark of this.picture.marks) {
      const x = Math.round(sx(mark.x)) + 0.5;
      ctx.strokeStyle = mark.colour || MUTED;
      ctx.lineWidth = 1;
      ctx.setLineDash(mark.dash || [4, 3]);
      ctx.beginPath(); ctx.moveTo(x, area.top); ctx.lineTo(x, area.bottom); ctx.stroke();
      ctx.setLineDash([]);
      if (mark.label) {
        ctx.font = '600 11.5px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
        const w = ctx.measureText(mark.label).width;
        const right = x + 6 + w > area.right;
        const y = area.top + 4 + 16 * (mark.row || 0);
        ctx.fillStyle = "rgba(255,255,255,.85)";
        ctx.fillRect(right ? x - w - 8 : x + 2, y - 1, w + 6, 15);
        ctx.fillStyle = mark.colour || MUTED;
        ctx.textAlign = right ? "right" : "left";
        ctx.textBaseline = "top";
        ctx.fillText(mark.label, right ? x - 5 : x + 5, y);
        ctx.font = FONT;
      }
    }
    for (const dot of this.picture.dots) {
      ctx.beginPath();
      ctx.arc(sx(dot.x), sy[dot.axis || "y"](dot.y), dot.radius || 4, 0, 2 * Math.PI);
      ctx.fillStyle = dot.fill || dot.colour || INK;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = dot.ring || "#fff";
      ctx.stroke();
    }

    // legend, top right inside the plot
    if (o.legend) {
      let y = area.top + 6;
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      const widest = Math.max(...o.legend.map((entry) => ctx.measureText(entry.label).width));
      const x = area.right - widest - 40;
      ctx.fillStyle = "rgba(255,255,255,.85)";
      ctx.fillRect(x - 6, y - 4, widest + 44, 18 * o.legend.length + 4);
      for (const entry of o.legend) {
        ctx.strokeStyle = entry.colour; ctx.lineWidth = 2; ctx.setLineDash(entry.dash || []);
        ctx.beginPath(); ctx.moveTo(x, y + 7); ctx.lineTo(x + 24, y + 7); ctx.stroke(); ctx.setLineDash([]);
        ctx.fillStyle = INK; ctx.fillText(entry.label, x + 30, y + 7);
        y += 18;
      }
    }
  }
}
