// A thin React wrapper around Chart.js: only the pieces we use are registered (bars and lines).
import {
  BarController, BarElement, CategoryScale, Chart, type ChartConfiguration, LinearScale, LineController, LineElement,
  PointElement, Tooltip,
} from "chart.js";
import { useEffect, useRef } from "react";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip);
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
Chart.defaults.font.size = 11;
Chart.defaults.animation = false;

export function ChartView({ config, height, testid }: { config: ChartConfiguration; height: number; testid: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [config]);
  return (
    <div className="chart" style={{ height }} data-testid={testid}>
      <canvas ref={canvas} />
    </div>
  );
}
