// A DQ trend: the measured value per bucket, the expected band (threshold low..high) shaded,
// breaches as red points. ECharts' modular build keeps the chunk to what is drawn here.
import { useEffect, useRef } from "react";
import * as echarts from "echarts/core";
import { LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import type { Schemas } from "../../api/client";

echarts.use([LineChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

type Result = Schemas["DqResult"];

export function chartOption(results: Result[]) {
  const rows = [...results].sort((a, b) => a.bucket.localeCompare(b.bucket));
  const x = rows.map((r) => r.bucket);
  const low = rows.map((r) => r.threshold_low);
  const band = rows.map((r) => (r.threshold_low != null && r.threshold_high != null ? r.threshold_high - r.threshold_low : null));
  return {
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: ["value", "expected band", "breach"], bottom: 0 },
    grid: { left: 56, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "category", data: x },
    yAxis: { type: "value", scale: true },
    series: [
      { name: "band-low", type: "line", data: low, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false } },
      {
        name: "expected band",
        type: "line",
        data: band,
        stack: "band",
        symbol: "none",
        lineStyle: { opacity: 0 },
        areaStyle: { color: "rgba(46, 125, 50, 0.15)" },
        itemStyle: { color: "rgba(46, 125, 50, 0.4)" },
        tooltip: { show: false },
      },
      { name: "value", type: "line", data: rows.map((r) => r.value), symbolSize: 4, lineStyle: { color: "#1f4e79" }, itemStyle: { color: "#1f4e79" } },
      {
        name: "breach",
        type: "scatter",
        data: rows.map((r, i) => (r.is_breach ? [i, r.value] : null)).filter(Boolean),
        symbolSize: 10,
        itemStyle: { color: "#c62828" },
      },
    ],
  };
}

export default function DqTrendChart({ results, label }: { results: Result[]; label: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.init(el.current);
    chart.setOption(chartOption(results));
    const resize = () => chart.resize();
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.dispose();
    };
  }, [results]);
  const breaches = results.filter((r) => r.is_breach).length;
  return <div ref={el} className="dq-chart" role="img" aria-label={`${label}: ${results.length} results, ${breaches} breaches`} />;
}
