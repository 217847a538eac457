// The queue page: scheduled, publishing and failed items soonest first, polled every few
// seconds, with the failure reasons and the retry (publish now) and unschedule actions.

import { canPublishNow, canUnschedule, changedBadge, element, recordsList, statusBadge, whenText } from "./items.js";
import { timeInZone } from "./zones.js";

const POLL_MS = 4000;
const $ = (id) => document.getElementById(id);

export class QueuePage {
  constructor(app) {
    this.app = app;
    this.stale = true;
    this.timer = null;
    this.loading = false;
  }

  show() {
    this.load();
    if (!this.timer) this.timer = setInterval(() => document.hidden || this.load(), POLL_MS);
  }

  hide() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async load() {
    if (this.loading) {
      this.again = true; // a change happened during a poll: load once more right after it
      return;
    }
    this.loading = true;
    this.again = false;
    const site = this.app.site;
    try {
      const items = await this.app.api.queue(site.id);
      // Records (destinations, failure reasons) exist once publishing has started.
      const statuses = await Promise.all(items.map((item) => (item.site_status === "scheduled"
        ? null : this.app.api.publishStatus(item.id).catch(() => null))));
      if (site !== this.app.site || !this.timer) return;
      this.render(items, statuses, site.zone);
      this.stale = false;
      this.app.loaded();
      $("queue-updated").textContent = `Updated ${timeInZone(Date.now(), site.zone)} (${site.zone})`;
    } catch (error) {
      if (this.timer) this.app.problem(`The queue could not be loaded: ${error.detail || error.message}`, { load: true });
    } finally {
      this.loading = false;
      if (this.again) this.load();
    }
  }

  render(items, statuses, zone) {
    // Rows are rebuilt on each poll; keep the keyboard focus on the same button.
    const focused = document.activeElement;
    const keep = $("queue-rows").contains(focused)
      ? { id: focused.closest("tr")?.dataset.contentId, action: focused.dataset.action } : null;
    $("queue-rows").replaceChildren(...items.map((item, index) => this.row(item, statuses[index], zone)));
    $("queue-empty").hidden = items.length > 0;
    if (keep) {
      const selector = `tr[data-content-id="${CSS.escape(keep.id || "")}"] [data-action="${keep.action}"]`;
      ($("queue-rows").querySelector(selector) || $("queue-title")).focus();
    }
  }

  row(item, status, zone) {
    const records = status?.records || [];
    // The item's own last error, unless a destination's record already says it.
    const error = item.last_error && !records.some((record) => record.error === item.last_error)
      ? element("p", { className: "reason" }, item.last_error) : null;
    const destinations = element("div", {},
      status ? recordsList(records) : element("span", { className: "muted" }, "Not started"), error);
    const actions = element("div");
    if (this.app.canWrite && canPublishNow(item)) {
      const label = item.site_status === "failed" ? "Retry now" : "Publish now";
      actions.append(this.button(label, "publish", item, () => this.app.api.publishNow(item.id),
        `Publishing “${item.title}” now.`, `“${item.title}” could not be published`,
        `${label === "Retry now" ? "Retry" : "Publish"} “${item.title}” now, at every destination?`));
    }
    if (this.app.canWrite && canUnschedule(item)) {
      actions.append(this.button("Unschedule", "unschedule", item, () => this.app.api.unschedule(item.id),
        `“${item.title}” is no longer scheduled.`, `“${item.title}” could not be unscheduled`,
        `Unschedule “${item.title}”? It goes back to the calendar's backlog.`));
    }
    // data-label: the column's name, shown beside each value when rows stack as cards on phones.
    return element("tr", { dataset: { contentId: item.id, status: item.site_status } },
      element("td", { className: "when", dataset: { label: "When" } }, whenText(item, zone)),
      element("th", { scope: "row" }, item.title),
      element("td", { dataset: { label: "Status" } }, statusBadge(item.site_status), " ", changedBadge(item)),
      element("td", { dataset: { label: "Destinations" } }, destinations),
      element("td", { className: "actions" }, actions));
  }

  button(label, action, item, work, done, refusal, question) {
    const button = element("button", {
      type: "button", className: action === "unschedule" ? "ghost" : "", dataset: { action },
      "aria-label": `${label}: ${item.title}`,
    }, label);
    button.addEventListener("click", async () => {
      if (!this.app.confirm(question)) return;
      button.disabled = true;
      await this.app.act(work, done, refusal);
      button.disabled = false;
    });
    return button;
  }
}
