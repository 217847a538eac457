// The queue page: scheduled, publishing and failed items soonest first, polled every few
// seconds, with the failure reasons and the retry (publish now) and unschedule actions, one item
// at a time or for the selected items in one bulk request.

import { canPublishNow, canUnschedule, changedBadge, element, recordsList, statusBadge, whenText } from "./items.js";
import { formatInZone, timeInZone } from "./zones.js";

const POLL_MS = 4000;
const $ = (id) => document.getElementById(id);
const plural = (count) => (count === 1 ? "1 selected item" : `${count} selected items`);
/** The bulk buttons: the API's action, the question asked first and the sentence of a refusal. */
const BULK = {
  schedule: {
    question: (count) => `Schedule ${plural(count)} into the next free slots?`,
    refusal: "The selected items could not be scheduled",
  },
  unschedule: {
    question: (count) => `Unschedule ${plural(count)}? They go back to the calendar's backlog.`,
    refusal: "The selected items could not be unscheduled",
  },
  publish: {
    question: (count) => `Publish ${plural(count)} now, at every destination?`,
    refusal: "The selected items could not be published",
  },
};

export class QueuePage {
  constructor(app) {
    this.app = app;
    this.stale = true;
    this.timer = null;
    this.loading = false;
    this.items = new Map(); // id → item, as last drawn
    this.selected = new Set(); // ids ticked for a bulk action; kept across polls
    this.busy = false;
    $("queue-select-all").addEventListener("change", (event) => {
      this.selected = new Set(event.target.checked ? this.items.keys() : []);
      for (const box of $("queue-rows").querySelectorAll('input[data-action="select"]')) box.checked = event.target.checked;
      this.updateBulk();
    });
    for (const button of $("queue-bulk").querySelectorAll("button[data-bulk]")) {
      button.addEventListener("click", () => this.runBulk(button.dataset.bulk));
    }
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
    this.items = new Map(items.map((item) => [item.id, item]));
    this.selected = new Set([...this.selected].filter((id) => this.items.has(id))); // gone: no longer selected
    $("queue-select-head").hidden = !this.app.canWrite;
    $("queue-rows").replaceChildren(...items.map((item, index) => this.row(item, statuses[index], zone)));
    $("queue-empty").hidden = items.length > 0;
    this.updateBulk();
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
    // Why it waits: the next attempt of a retry, or why the scheduler left it without a slot.
    const waiting = item.next_attempt_at
      ? element("p", { className: "reason" }, `Next attempt ${formatInZone(new Date(item.next_attempt_at), zone)}`)
      : item.unscheduled_reason ? element("p", { className: "reason" }, `Not scheduled: ${item.unscheduled_reason}`) : null;
    const destinations = element("div", {},
      status ? recordsList(records) : element("span", { className: "muted" }, "Not started"), error, waiting);
    const actions = element("div");
    if (this.app.canWrite && canPublishNow(item)) {
      const label = item.site_status === "scheduled" ? "Publish now" : "Retry now";
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
      this.app.canWrite ? this.selectCell(item) : null,
      element("td", { className: "when", dataset: { label: "When" } }, whenText(item, zone)),
      element("th", { scope: "row" }, item.title),
      element("td", { dataset: { label: "Status" } }, statusBadge(item.site_status), " ", changedBadge(item)),
      element("td", { dataset: { label: "Destinations" } }, destinations),
      element("td", { className: "actions" }, actions));
  }

  selectCell(item) {
    const box = element("input", { type: "checkbox", dataset: { action: "select" }, checked: this.selected.has(item.id) });
    box.addEventListener("change", () => {
      if (box.checked) this.selected.add(item.id);
      else this.selected.delete(item.id);
      this.updateBulk();
    });
    return element("td", { className: "select" },
      element("label", {}, box, element("span", { className: "sr-only" }, `Select “${item.title}”`)));
  }

  /** The bulk bar follows the selection: its count, "select all" and whether its buttons work. */
  updateBulk() {
    const count = this.selected.size;
    $("queue-bulk").hidden = !this.app.canWrite || this.items.size === 0;
    $("queue-selected").textContent = count ? `${count} selected` : "None selected";
    const all = $("queue-select-all");
    all.checked = count > 0 && count === this.items.size;
    all.indeterminate = count > 0 && count < this.items.size;
    for (const button of $("queue-bulk").querySelectorAll("button[data-bulk]")) button.disabled = this.busy || !count;
  }

  /** One bulk request for the selected items, then a summary: "3 done, 1 failed: <title>: <error>". */
  async runBulk(action) {
    const ids = [...this.selected];
    const { question, refusal } = BULK[action];
    if (!ids.length || this.busy || !this.app.confirm(question(ids.length))) return;
    const titles = new Map(ids.map((id) => [id, this.items.get(id)?.title || id]));
    this.busy = true;
    this.updateBulk();
    try {
      const results = await this.app.api.bulk(action, ids);
      const failed = results.filter((result) => !result.ok);
      for (const result of results) if (result.ok) this.selected.delete(result.id); // failures stay ticked
      this.app.changed();
      const summary = `${results.length - failed.length} done`;
      if (!failed.length) this.app.notice(`${summary}.`);
      else {
        this.app.problem(`${summary}, ${failed.length} failed: ${failed
          .map((result) => `${titles.get(result.id) || result.id}: ${result.error}`).join("; ")}`);
      }
    } catch (error) {
      this.app.problem(`${refusal}: ${error.detail || error.message}`);
    } finally {
      this.busy = false;
      this.updateBulk();
    }
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
