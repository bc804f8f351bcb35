export function ClassificationBadge({ level }: { level: string | undefined | null }) {
  if (!level) return <span className="muted">—</span>;
  return (
    <span className={`classification level-${level.toLowerCase()}`} title={`Classification: ${level}`}>
      {level}
    </span>
  );
}
