// LMB's charts: Chart.js (from npm, served from /static/vendor/chartjs/) draws what a template
// describes. A <canvas data-chart="ID"> reads the JSON of the <script id="ID"> that Django's
// json_script wrote beside it:
//   {"type": "bar" | "line" | "sparkline",
//    "format": "money" | "number",            how values are written (1 234,56 € / 1 234,5)
//    "labels": ["2026-11-22", …],             categories of the x axis
//    "label_format": "date" | "month" | "text",  ISO dates written 22/11/2026 or « nov. 2026 »
//    "datasets": [{"label": "2026", "values": ["1234.56", …]}, …]}
// Values come as strings (Python Decimals): Number() is only used for drawing, never for sums.
// Numbers and dates are written the French way with Intl (fr-FR), as lmb.formats writes them.
(function () {
  "use strict";

  const LOCALE = "fr-FR";
  const money = new Intl.NumberFormat(LOCALE, {style: "currency", currency: "EUR"});
  const moneyShort = new Intl.NumberFormat(LOCALE, {style: "currency", currency: "EUR", maximumFractionDigits: 0});
  const number = new Intl.NumberFormat(LOCALE, {maximumFractionDigits: 3});
  const day = new Intl.DateTimeFormat(LOCALE, {day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC"});
  const month = new Intl.DateTimeFormat(LOCALE, {month: "short", year: "numeric", timeZone: "UTC"});
  const COLOURS = ["#0d6efd", "#adb5bd", "#198754", "#fd7e14", "#6f42c1", "#d63384"];

  function formatMoney(value) { return money.format(Number(value)); }
  function formatNumber(value) { return number.format(Number(value)); }

  function isoDate(text) {
    const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(text));
    return match ? new Date(Date.UTC(+match[1], +match[2] - 1, +match[3])) : null;
  }

  function formatDate(text) {
    const date = isoDate(text);
    return date ? day.format(date) : String(text);
  }

  function formatMonth(text) {
    const date = isoDate(text);
    return date ? month.format(date) : String(text);
  }

  // Canvas fonts often lack the narrow no-break space (U+202F) Intl groups thousands with: on a
  // chart it would vanish (« 16000 € »); a no-break space keeps the thousands apart.
  function forCanvas(text) { return String(text).replace(/\u202f/g, "\u00a0"); }

  function labelWriter(kind) {
    if (kind === "date") return formatDate;
    if (kind === "month") return formatMonth;
    return String;
  }

  function valueWriter(kind) { return kind === "money" ? formatMoney : formatNumber; }

  function config(spec) {
    const writeValue = valueWriter(spec.format);
    const writeLabel = labelWriter(spec.label_format);
    const sparkline = spec.type === "sparkline";
    const datasets = (spec.datasets || []).map(function (dataset, index) {
      const colour = dataset.colour || COLOURS[index % COLOURS.length];
      return {
        label: dataset.label || "",
        data: (dataset.values || []).map(Number),
        borderColor: colour,
        backgroundColor: sparkline ? colour + "22" : colour,
        borderWidth: sparkline ? 1.5 : 1,
        pointRadius: 0,
        pointHitRadius: 6,
        fill: sparkline,
        tension: 0.25,
      };
    });
    return {
      type: sparkline ? "line" : spec.type,
      data: {labels: (spec.labels || []).map(writeLabel), datasets: datasets},
      options: {
        locale: LOCALE,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: {mode: "index", intersect: false},
        plugins: {
          legend: {display: !sparkline && datasets.length > 1, position: "bottom"},
          tooltip: {
            callbacks: {
              label: function (context) {
                const name = context.dataset.label ? context.dataset.label + " : " : "";
                return forCanvas(name + writeValue(context.raw));
              },
            },
          },
        },
        scales: sparkline
          ? {x: {display: false}, y: {display: false, beginAtZero: true}}
          : {
              x: {grid: {display: false}},
              y: {
                beginAtZero: true,
                ticks: {
                  callback: function (value) {
                    return forCanvas(spec.format === "money" ? moneyShort.format(value) : number.format(value));
                  },
                },
              },
            },
      },
    };
  }

  function draw(canvas) {
    if (!window.Chart || canvas.dataset.chartDrawn) return null;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return null;
    const spec = JSON.parse(source.textContent);
    const chart = new window.Chart(canvas, config(spec));
    canvas.dataset.chartDrawn = "true";
    return chart;
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  window.LMB = window.LMB || {};
  window.LMB.charts = {
    formatMoney: formatMoney,
    formatNumber: formatNumber,
    formatDate: formatDate,
    formatMonth: formatMonth,
    forCanvas: forCanvas,
    config: config,
    draw: draw,
    drawAll: drawAll,
  };

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  // A list or an analysis replaced by htmx draws its new charts.
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
