// How a Content item and its publishing records read on every page.

import { formatInZone } from "./zones.js";

export const STATUS_LABELS = {
  not_published: "Not published",
  scheduled: "Scheduled",
  publishing: "Publishing",
  retrying: "Retrying",
  published: "Published",
  failed: "Failed",
};

/** A shape per status, so no status is told by its colour alone (the text goes beside it). */
export const STATUS_ICONS = {
  not_published: "○",
  scheduled: "◷",
  publishing: "↻",
  retrying: "↺",
  published: "✓",
  failed: "✕",
};

/** The same for a destination's publishing record. */
export const RECORD_ICONS = {
  pending: "…",
  publishing: "↻",
  published: "✓",
  failed: "✕",
  retracted: "↶",
};

/** The instant an item sits at: the API's `calendar_at`, else when it was published or is due. */
export function itemInstant(item) {
  const at = item.calendar_at
    || (item.site_status === "published" ? item.published_at : null)
    || item.scheduled_publish_at
    || item.site_status_updated_at;
  return at ? new Date(at) : null;
}

/** Moving, retrying and unscheduling apply to what has not started publishing. */
export const canReschedule = (item) => item.site_status === "scheduled" || item.site_status === "failed";
export const canUnschedule = (item) => item.site_status === "scheduled";
export const canPublishNow = (item) => ["scheduled", "retrying", "failed"].includes(item.site_status);
/** The backlog: approved content that is on no schedule (never scheduled, unscheduled or retracted). */
export const canSchedule = (item) => item.status === "approved" && item.site_status === "not_published";

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "className") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

export function icon(glyph) {
  return element("span", { className: "icon", "aria-hidden": "true" }, glyph || "•");
}

export function statusBadge(status) {
  return element("span", { className: `badge status-${status}`, dataset: { status } },
    icon(STATUS_ICONS[status]), STATUS_LABELS[status] || status);
}

/** "Edited since published", when the API says so (an older API has no such field: nothing). */
export function changedBadge(item) {
  if (item.changed_since_publish !== true) return null;
  return element("span", { className: "badge changed", dataset: { changed: "true" } }, icon("✎"), "Edited since published");
}

export function whenText(item, zone) {
  const at = itemInstant(item);
  return at ? formatInZone(at, zone) : "no time set";
}

/** A list of destinations with their record status and, for failures, the reason. */
export function recordsList(records) {
  if (!records.length) return element("p", { className: "muted" }, "No publishing records yet.");
  return element("ul", { className: "records" }, ...records.map((record) => element(
    "li", { dataset: { destination: record.destination } },
    element("span", { className: "destination" }, record.destination),
    " ",
    element("span", { className: `badge record-${record.status}`, dataset: { status: record.status } },
      icon(RECORD_ICONS[record.status]), record.status),
    record.error ? element("span", { className: "reason" }, record.error) : null,
  )));
}
