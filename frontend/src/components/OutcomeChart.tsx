import { humanise } from "../lib/format";

export interface ChartBar {
  key: string;
  value: number;
}

const BAR_HEIGHT = 18;
const GAP = 6;
const LABEL_WIDTH = 100;
const CHART_WIDTH = 360;
const VALUE_WIDTH = 50;

/**
 * A horizontal bar chart of campaign contacts by outcome, as SVG.
 *
 * Accessible as an image with a title and a text description of every number, plus a data table for
 * screen readers and anyone who prefers numbers; colours come from CSS classes per outcome.
 */
export function OutcomeChart({ bars, total, title }: { bars: ChartBar[]; total: number; title: string }) {
  const max = Math.max(1, total, ...bars.map((b) => b.value));
  const plotWidth = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = bars.length * (BAR_HEIGHT + GAP);
  const description = bars.map((b) => `${humanise(b.key)}: ${b.value}`).join(", ");
  const titleId = `chart-title-${slug(title)}`;
  const descId = `chart-desc-${slug(title)}`;
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${CHART_WIDTH} ${height}`}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        preserveAspectRatio="xMinYMin meet"
      >
        <title id={titleId}>{title}</title>
        <desc id={descId}>
          {description} (of {total})
        </desc>
        {bars.map((bar, i) => {
          const y = i * (BAR_HEIGHT + GAP);
          const width = bar.value === 0 ? 0 : Math.max(2, (bar.value / max) * plotWidth);
          return (
            <g key={bar.key} className={`bar bar-${bar.key.replace(/_/g, "-")}`}>
              <text x={LABEL_WIDTH - 8} y={y + BAR_HEIGHT / 2} textAnchor="end" dominantBaseline="central">
                {humanise(bar.key)}
              </text>
              <rect x={LABEL_WIDTH} y={y} width={plotWidth} height={BAR_HEIGHT} className="bar-track" />
              <rect x={LABEL_WIDTH} y={y} width={width} height={BAR_HEIGHT} className="bar-fill" />
              <text x={LABEL_WIDTH + plotWidth + 8} y={y + BAR_HEIGHT / 2} dominantBaseline="central">
                {bar.value}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="visually-hidden">
        <table>
          <caption>{title}</caption>
          <thead>
            <tr>
              <th scope="col">Outcome</th>
              <th scope="col">Contacts</th>
            </tr>
          </thead>
          <tbody>
            {bars.map((bar) => (
              <tr key={bar.key}>
                <th scope="row">{humanise(bar.key)}</th>
                <td>{bar.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
