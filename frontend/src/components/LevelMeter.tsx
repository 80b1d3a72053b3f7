/** Microphone level as an accessible meter; muted shows empty whatever the level. */
export function LevelMeter({
  level,
  muted,
  label = "Microphone level",
}: {
  level: number;
  muted: boolean;
  label?: string;
}) {
  const value = muted ? 0 : Math.round(Math.min(1, Math.max(0, level)) * 100);
  return (
    <div
      className="level-meter"
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      aria-valuetext={muted ? "Muted" : `${value}%`}
    >
      <div className="level-meter-fill" style={{ width: `${value}%` }} />
    </div>
  );
}
