/**
 * The dashboard's charts, as SVG: outcomes stacked per time bucket, and a histogram of handle times.
 * Each is an image with a title and a text description, plus a data table for screen readers.
 */
import { humanise } from "../lib/format";

const WIDTH = 640;
const HEIGHT = 180;
const AXIS = 28;

export interface StackedColumn {
  label: string;
  parts: Record<string, number>;
}

/** Columns of stacked counts (e.g. outcomes per day); `keys` fixes the stacking order and colours. */
export function StackedColumns({ title, columns, keys }: { title: string; columns: StackedColumn[]; keys: string[] }) {
  const totals = columns.map((c) => keys.reduce((sum, key) => sum + (c.parts[key] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const slot = (WIDTH - AXIS) / Math.max(1, columns.length);
  const barWidth = Math.max(1, slot * 0.7);
  const plot = HEIGHT - 20;
  const id = slug(title);
  return (
    <figure className="chart kpi-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-t ${id}-d`}>
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{columns.map((c, i) => `${c.label}: ${totals[i]}`).join(", ")}</desc>
        <text x={0} y={12} className="axis-label">
          {max}
        </text>
        <text x={0} y={plot} className="axis-label">
          0
        </text>
        {columns.map((column, i) => {
          let top = plot;
          return (
            <g key={column.label}>
              {keys.map((key) => {
                const value = column.parts[key] ?? 0;
                const h = (value / max) * (plot - 8);
                top -= h;
                return value > 0 ? (
                  <rect
                    key={key}
                    className={`bar-fill seg-${key.replace(/_/g, "-")}`}
                    x={AXIS + i * slot}
                    y={top}
                    width={barWidth}
                    height={h}
                  />
                ) : null;
              })}
              {(columns.length <= 16 || i % Math.ceil(columns.length / 12) === 0) && (
                <text x={AXIS + i * slot} y={HEIGHT - 4} className="axis-label">
                  {column.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="legend">
          {keys.map((key) => (
            <li key={key}>
              <span className={`swatch seg-${key.replace(/_/g, "-")}`} aria-hidden="true" /> {humanise(key)}
            </li>
          ))}
        </ul>
        <table className="visually-hidden">
          <caption>{title}</caption>
          <thead>
            <tr>
              <th scope="col">Bucket</th>
              {keys.map((key) => (
                <th scope="col" key={key}>
                  {humanise(key)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {columns.map((c) => (
              <tr key={c.label}>
                <th scope="row">{c.label}</th>
                {keys.map((key) => (
                  <td key={key}>{c.parts[key] ?? 0}</td>
                ))}
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
