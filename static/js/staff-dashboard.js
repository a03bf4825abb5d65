// The supervisors' dashboard: decisions per day as a line chart (uPlot, vendored in static/vendor/uplot).
// The data is the JSON block the page carries; the same numbers are in the page's table.
(function () {
  "use strict";
  var COLOURS = ["#1b6b3a", "#b3261e", "#44546a", "#7a4b00", "#005a9c"];

  function draw() {
    var holder = document.getElementById("staff-decisions-chart");
    var source = document.getElementById("staff-decisions-data");
    if (!holder || !source || typeof window.uPlot !== "function") {
      return;
    }
    var chart = JSON.parse(source.textContent);
    var xs = chart.labels.map(function (_, index) { return index; });
    var data = [xs];
    var series = [{}];
    chart.series.forEach(function (item, index) {
      data.push(item.values);
      series.push({ label: item.label, stroke: COLOURS[index % COLOURS.length], width: 2, points: { show: true, size: 6 } });
    });
    if (chart.series.length === 0) {
      data.push(xs.map(function () { return 0; }));
      series.push({ label: chart.axis, stroke: COLOURS[2], width: 2 });
    }
    var width = Math.max(320, Math.min(holder.clientWidth || 900, 1100));
    // eslint-disable-next-line no-new
    new window.uPlot({
      width: width,
      height: 260,
      series: series,
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(4, max)]; } } },
      axes: [
        { values: function (u, ticks) { return ticks.map(function (t) { return chart.labels[t] || ""; }); }, space: 50 },
        { label: chart.axis, values: function (u, ticks) { return ticks.map(function (t) { return Number.isInteger(t) ? String(t) : ""; }); } },
      ],
      legend: { live: false },
      cursor: { show: false },
    }, data, holder);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
