/**
 * A duration in minutes as people read it, in the console, the report's HTML and its mail:
 * "< 1 min", "45 min", "2 h 5 min", "2 h", and from a day up days and hours, "34 d 10 h"
 * (whole hours, the minutes dropped). `days: false` keeps hours ("30 h 20 min"), as the
 * dashboard does beside its charts in hours. Exports (CSV, JSON) keep raw minutes.
 */
export function formatMinutes(minutes: number, options: { days?: boolean } = {}): string {
  if (minutes > 0 && minutes < 0.5) return '< 1 min';
  const total = Math.round(minutes);
  if (total < 60) return `${total} min`;
  if (options.days !== false && total >= 24 * 60) {
    const days = Math.floor(total / (24 * 60));
    const hours = Math.floor((total % (24 * 60)) / 60);
    return hours === 0 ? `${days} d` : `${days} d ${hours} h`;
  }
  const hours = Math.floor(total / 60);
  const rest = total % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
