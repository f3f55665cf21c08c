// ECharts, only the parts the pages use (keeps app.js small), drawn as SVG so that charts stay
// sharp in screenshots and print. Every chart made here is disposed when the page re-renders.
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
} from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent, SVGRenderer]);

/** The palette: calm blues for the good, orange and red for late and overdue. */
export const COLORS = {
  on_time: "#2f7d5b",
  late: "#e0a030",
  overdue: "#c0392b",
  open: "#9aa7b5",
  realised: "#1f4e79",
  remaining: "#8fb3d9",
  series: ["#1f4e79", "#4a90c2", "#2f7d5b", "#e0a030", "#8e5ea2", "#c0392b", "#5d6d7e", "#17a2b8", "#a3842e", "#d45087"],
};

const FONT = '"Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif';

let live = [];

/** Draws `option` into `el` and remembers the chart for resizing and disposal. */
export function chart(el, option) {
  // how many values the chart draws (zero draws nothing): the browser test checks that the SVG
  // holds at least as many shapes
  const points = (option.series || [])
    .flatMap((s) => s.data || [])
    .map((d) => (d !== null && typeof d === "object" ? d.value : d))
    .filter((v) => v !== null && v !== undefined && Number(v) !== 0).length;
  el.dataset.points = points;
  if (points === 0) {
    option.title = { text: "Geen gegevens voor deze selectie", left: "center", top: "middle", textStyle: { color: "#5d6d7e", fontSize: 13, fontWeight: "normal" } };
  }
  const c = echarts.init(el, null, { renderer: "svg" });
  if (option.grid) option.grid = { containLabel: true, ...option.grid };
  c.setOption({
    color: COLORS.series,
    // the page's font, named: ECharts measures text on a canvas, where "inherit" means nothing
    textStyle: { fontFamily: FONT },
    animation: false,
    ...option,
  });
  live.push(c);
  return c;
}

export function disposeAll() {
  for (const c of live) c.dispose();
  live = [];
}

window.addEventListener("resize", () => {
  for (const c of live) c.resize();
});
