import { humanise } from "../lib/format";

/** A status or outcome as a coloured pill; the colour class comes from the value, the text says it. */
export function Badge({ value }: { value: string | null | undefined }) {
  const tone = (value ?? "none").toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return <span className={`badge badge-${tone}`}>{humanise(value)}</span>;
}
