// How a Content item and its publishing records read on every page.

import { formatInZone } from "./zones.js";

export const STATUS_LABELS = {
  not_published: "Not published",
  scheduled: "Scheduled",
  publishing: "Publishing",
  published: "Published",
  failed: "Failed",
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
export const canPublishNow = (item) => item.site_status === "scheduled" || item.site_status === "failed";

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

export function statusBadge(status) {
  return element("span", { className: `badge status-${status}` }, STATUS_LABELS[status] || status);
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
    element("span", { className: `badge record-${record.status}` }, record.status),
    record.error ? element("span", { className: "reason" }, record.error) : null,
  )));
}
