// Times in the site's time zone, with the browser's own Intl data (no time zone library).
//
// FullCalendar can only honour a named time zone through a plugin, so the calendar runs in
// 'UTC' and is fed "floating" dates: Date objects whose UTC fields are the site's wall clock.
// `floating` and `instantFromFloating` convert between those and real instants.

const formatters = new Map();

function partsFormatter(zone) {
  if (!formatters.has(zone)) {
    formatters.set(zone, new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }));
  }
  return formatters.get(zone);
}

/** The site's wall clock at an instant, as a floating Date (its UTC fields are the wall clock). */
export function floating(instant, zone) {
  const parts = {};
  for (const { type, value } of partsFormatter(zone).formatToParts(new Date(instant))) {
    parts[type] = Number(value);
  }
  const ms = new Date(instant).getUTCMilliseconds();
  return new Date(Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second, ms));
}

/** The instant at which the site's wall clock reads the floating date's UTC fields. A time read
 * twice (clocks going back) is the first one; a time skipped (clocks going forward) is read with
 * the offset from before the change, as Python's zoneinfo does (fold=0). */
export function instantFromFloating(wall, zone) {
  const target = wall.getTime();
  const offsetAt = (instant) => floating(instant, zone).getTime() - instant;
  const halfDay = 12 * 3600 * 1000;
  const before = offsetAt(target - halfDay);
  const candidates = [before, offsetAt(target + halfDay)]
    .map((offset) => target - offset)
    .filter((instant) => floating(instant, zone).getTime() === target);
  return new Date(candidates.length ? Math.min(...candidates) : target - before);
}

/** `YYYY-MM-DDTHH:MM`, the value of a datetime-local field showing an instant in the zone. */
export function toLocalInput(instant, zone) {
  return floating(instant, zone).toISOString().slice(0, 16);
}

/** The instant a datetime-local field's value means in the zone; null when the value is empty. */
export function fromLocalInput(value, zone) {
  if (!value) return null;
  const wall = new Date(`${value.length === 16 ? `${value}:00` : value}Z`);
  return Number.isNaN(wall.getTime()) ? null : instantFromFloating(wall, zone);
}

/** A readable date and time of an instant in the zone, e.g. "Tue 24 Nov 2026, 14:00". */
export function formatInZone(instant, zone) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).format(new Date(instant));
}

/** The time of day of an instant in the zone, e.g. "14:03:09". */
export function timeInZone(instant, zone) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).format(new Date(instant));
}

/** Whether the browser knows the zone (a bad name would make Intl throw later). */
export function isKnownZone(zone) {
  try {
    partsFormatter(zone);
    return true;
  } catch {
    return false;
  }
}
