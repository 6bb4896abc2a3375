// A tiny time-series chart on <canvas>: a filled line of the last N values, scaled to the largest, with the
// latest value marked. Redraws at the device pixel ratio so it stays sharp.

export class Sparkline {
  constructor(canvas, capacity) {
    this.canvas = canvas;
    this.capacity = capacity;
    this.values = [];
  }

  push(v) {
    this.values.push(Number.isFinite(v) ? v : 0);
    if (this.values.length > this.capacity) this.values.shift();
  }

  draw(format = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1))) {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const top = 14;
    const bottom = h - 2;
    g.strokeStyle = '#d5dbe3';
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(0, bottom + 0.5);
    g.lineTo(w, bottom + 0.5);
    g.stroke();
    const n = this.values.length;
    if (n === 0) return;
    const max = Math.max(1, ...this.values);
    const step = w / (this.capacity - 1);
    const x0 = w - (n - 1) * step;
    const y = (v) => bottom - (v / max) * (bottom - top);
    g.beginPath();
    this.values.forEach((v, i) => (i ? g.lineTo(x0 + i * step, y(v)) : g.moveTo(x0, y(v))));
    g.strokeStyle = '#1d4ed8';
    g.lineWidth = 2;
    g.lineJoin = 'round';
    g.stroke();
    g.lineTo(x0 + (n - 1) * step, bottom);
    g.lineTo(x0, bottom);
    g.closePath();
    g.fillStyle = 'rgba(29, 78, 216, 0.12)';
    g.fill();
    const last = this.values[n - 1];
    g.fillStyle = '#1d4ed8';
    g.beginPath();
    g.arc(x0 + (n - 1) * step - 2, y(last), 3, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#4f5b69';
    g.font = '11px system-ui, sans-serif';
    g.textAlign = 'left';
    g.fillText(`max ${format(max)}`, 2, 10);
  }
}
