// A site's publishing slots as the calendar shows them: publish days and time windows as
// FullCalendar business hours, blackout dates and full days (at the daily cap) as shaded days,
// and the reason a chosen time is outside them (the console asks before scheduling there).
// Dates here are floating (see zones.js): their UTC fields are the site's wall clock.

import { itemInstant } from "./items.js";
import { floating } from "./zones.js";

const DAY_KEYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]; // by getUTCDay()
const COUNTED = new Set(["scheduled", "publishing", "published"]);
const DAY_MS = 24 * 3600 * 1000;

const dayOf = (wall) => wall.toISOString().slice(0, 10);
const timeOf = (wall) => wall.toISOString().slice(11, 16);

/** FullCalendar's businessHours: one entry per time slot, on the publish days. */
export function businessHours(settings) {
  if (!settings) return false;
  const days = (settings.publish_days || []).map((day) => DAY_KEYS.indexOf(day)).filter((day) => day >= 0);
  return (settings.publish_time_slots || []).map((slot) => ({ daysOfWeek: days, startTime: slot.start, endTime: slot.end }));
}

/** Items per local day (YYYY-MM-DD) that count toward the daily cap, leaving `exceptId` out. */
export function dayCounts(items, zone, exceptId = null) {
  const counts = new Map();
  for (const item of items) {
    const at = itemInstant(item);
    if (!at || item.id === exceptId || !COUNTED.has(item.site_status)) continue;
    const day = dayOf(floating(at, zone));
    counts.set(day, (counts.get(day) || 0) + 1);
  }
  return counts;
}

/** Background events for the blackout dates and the full days in [start, end) (floating dates). */
export function shadedDays(settings, items, zone, start, end) {
  if (!settings) return [];
  const blackouts = new Set(settings.blackout_dates || []);
  const cap = settings.daily_publish_limit;
  const counts = dayCounts(items, zone);
  const shaded = [];
  for (let day = new Date(start); day < end; day = new Date(day.getTime() + DAY_MS)) {
    const key = dayOf(day);
    const next = new Date(day.getTime() + DAY_MS);
    if (blackouts.has(key)) {
      shaded.push({ start: day, end: next, allDay: true, display: "background", title: "Blackout",
        classNames: ["slot-blackout"], extendedProps: { slot: "blackout", day: key } });
    } else if (cap !== null && cap !== undefined && (counts.get(key) || 0) >= cap) {
      shaded.push({ start: day, end: next, allDay: true, display: "background", title: "Full",
        classNames: ["slot-full"], extendedProps: { slot: "full", day: key } });
    }
  }
  return shaded;
}

/** The first slot's start on a day (for a drop on a whole day in the month view), else 09:00. */
export function firstSlotStart(settings) {
  const starts = (settings?.publish_time_slots || []).map((slot) => slot.start).filter(Boolean).sort();
  return starts[0] || "09:00";
}

/** Why `wall` is outside the site's slots, as a sentence; null when it is inside. */
export function outsideReason(settings, items, zone, wall, exceptId = null) {
  if (!settings) return null;
  const day = dayOf(wall);
  const time = timeOf(wall);
  if ((settings.blackout_dates || []).includes(day)) return `${day} is a blackout date`;
  if (!(settings.publish_days || []).includes(DAY_KEYS[wall.getUTCDay()])) {
    return `${day} is not a publish day`;
  }
  const slots = settings.publish_time_slots || [];
  if (!slots.some((slot) => slot.start <= time && time < slot.end)) {
    const windows = slots.map((slot) => `${slot.start}–${slot.end}`).join(", ") || "none";
    return `${time} is outside the publishing time slots (${windows})`;
  }
  const cap = settings.daily_publish_limit;
  const count = dayCounts(items, zone, exceptId).get(day) || 0;
  if (cap !== null && cap !== undefined && count >= cap) {
    return `${day} is full (${count} of ${cap} a day)`;
  }
  return null;
}
