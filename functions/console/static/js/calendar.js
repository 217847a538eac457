// The calendar page: month, week and list views of one site's items (or of every site's),
// the site's publishing slots shaded, hover details, the backlog of approved items on no
// schedule, and scheduling by drag-and-drop or, from the keyboard, through a date/time field.

import {
  STATUS_ICONS, STATUS_LABELS, canPublishNow, canReschedule, canSchedule, canUnschedule, changedBadge, element,
  icon, itemInstant, recordsList, statusBadge, whenText,
} from "./items.js";
import { businessHours, firstSlotStart, outsideReason, shadedDays } from "./slots.js";
import { floating, formatInZone, fromLocalInput, instantFromFloating, toLocalInput } from "./zones.js";

const $ = (id) => document.getElementById(id);
const NARROW = "(max-width: 640px)";
const LIST_VIEW = "listNext30";

export class CalendarPage {
  constructor(app) {
    this.app = app;
    this.calendar = null;
    this.draggable = null;
    this.stale = true;
    this.requests = 0; // calendar fetches started: the latest is the one whose answer counts
    this.items = new Map(); // id → Content, from the last fetch
    this.backlog = new Map(); // id → approved Content on no schedule
    this.statuses = new Map(); // id → Promise of the publish status (destinations and records)
    this.selected = null; // the Content shown in the details panel
    this.allSites = false; // every site of the account, each item in its own site's time
    this.zones = new Map(); // site id → time zone, for the all-sites view
    $("all-sites").addEventListener("change", (event) => this.showAllSites(event.target.checked));
  }

  get zone() {
    return this.app.site.zone;
  }

  get settings() {
    return this.allSites ? null : this.app.site.settings;
  }

  /** Whether items can be moved and scheduled here (not for viewers, not across all sites). */
  get writable() {
    return this.app.canWrite && !this.allSites;
  }

  zoneOf(item) {
    return this.allSites ? this.zones.get(item.site_id) || "UTC" : this.zone;
  }

  show() {
    if (!window.FullCalendar) return;
    $("all-sites-toggle").hidden = this.app.sites.length < 2;
    if (!this.calendar) {
      this.stale = false;
      this.calendar = this.create();
      this.calendar.render(); // fetches the events
      this.loadBacklog();
      return;
    }
    this.calendar.updateSize();
    if (this.stale) {
      this.stale = false;
      if (this.selected && !this.allSites && this.selected.site_id !== this.app.site.id) this.close();
      this.statuses.clear();
      this.configure();
      this.calendar.refetchEvents();
      this.loadBacklog();
    }
  }

  hide() {
    this.hideTooltip();
  }

  /** What depends on the site and the mode: the clock, the slots, whether items move. */
  configure() {
    this.calendar.setOption("now", () => floating(Date.now(), this.zone));
    this.calendar.setOption("businessHours", businessHours(this.settings));
    this.calendar.setOption("editable", this.writable);
    this.calendar.setOption("droppable", this.writable);
    $("backlog").hidden = this.allSites;
    $("calendar-help").textContent = this.writable
      ? "Drag a scheduled item to move it, or select it (Enter) to reschedule with a date field. "
        + "Shaded: outside the publish days and time slots, blackout dates and full days."
      : this.allSites
        ? "Every site's items, each at its site's local time. Choose one site to move or schedule items."
        : "Read only: your role can look, not change.";
  }

  create() {
    const calendar = new window.FullCalendar.Calendar($("calendar"), {
      timeZone: "UTC", // floating dates: the UTC fields are the site's wall clock (see zones.js)
      now: () => floating(Date.now(), this.zone),
      initialView: window.matchMedia(NARROW).matches ? LIST_VIEW : "dayGridMonth",
      views: { [LIST_VIEW]: { type: "list", duration: { days: 30 }, buttonText: "List" } },
      headerToolbar: { left: "prev,next today", center: "title", right: `dayGridMonth,timeGridWeek,${LIST_VIEW}` },
      buttonText: { today: "Today", month: "Month", week: "Week" },
      buttonHints: { prev: "Previous $0", next: "Next $0", today: "This $0" },
      firstDay: 1,
      height: "auto",
      allDaySlot: false,
      nowIndicator: true,
      editable: this.writable,
      droppable: this.writable,
      businessHours: businessHours(this.settings),
      eventDurationEditable: false,
      eventInteractive: true, // events are focusable; Enter opens the details
      eventDisplay: "block",
      dayMaxEventRows: 4,
      defaultTimedEventDuration: "00:30",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      events: (info, success, failure) => {
        // Only the latest fetch speaks: an older one (another site's, another range's) that answers
        // late must not clear or set the banner, nor replace the items.
        const request = ++this.requests;
        this.fetch(info).then(({ items, events }) => {
          if (request === this.requests) {
            this.showItems(items);
            this.app.loaded();
          }
          success(events); // FullCalendar drops a superseded fetch's events itself
        }, (error) => {
          if (request === this.requests) {
            this.app.problem(`The calendar could not be loaded: ${error.detail || error.message}`, { load: true });
          }
          failure(error);
        });
      },
      // The shown range and view, and aria-busy while events load: for assistive tech and tests.
      datesSet: ({ start, end, view }) => {
        Object.assign($("calendar").dataset, {
          view: view.type, rangeStart: start.toISOString().slice(0, 10), rangeEnd: end.toISOString().slice(0, 10),
        });
        // The arrows are role="img" without a name, inside buttons that have one (their title).
        for (const arrow of $("calendar").querySelectorAll('.fc-icon[role="img"]')) arrow.setAttribute("aria-hidden", "true");
      },
      // A day cell is named by its date link, which does not name the items it holds: no name.
      dayCellDidMount: ({ el }) => el.removeAttribute("aria-labelledby"),
      loading: (busy) => $("calendar").setAttribute("aria-busy", String(busy)),
      eventContent: (info) => this.content(info),
      eventDidMount: (info) => this.decorate(info),
      eventMouseEnter: (info) => info.event.extendedProps.item && this.showTooltip(info.event, info.el),
      eventMouseLeave: () => this.hideTooltip(),
      eventDragStart: () => this.hideTooltip(),
      eventDragStop: () => this.hideTooltip(),
      eventWillUnmount: () => this.hideTooltip(),
      eventClick: (info) => {
        info.jsEvent.preventDefault();
        if (info.event.extendedProps.item) this.select(info.event.extendedProps.item, true);
      },
      eventDrop: (info) => this.dropped(info),
      drop: (info) => this.droppedFromBacklog(info),
    });
    // Backlog items are dragged onto the calendar; `create: false`: the server's answer draws them.
    this.draggable = new window.FullCalendar.Interaction.Draggable($("backlog-list"), {
      itemSelector: ".backlog-item[data-draggable]",
      eventData: (el) => ({ title: el.dataset.title, duration: "00:30", create: false }),
    });
    return calendar;
  }

  async fetch(info) {
    const settings = this.settings;
    let items;
    if (this.allSites) {
      await this.loadZones();
      // The widest instants the floating range can mean in any zone (±14 h), then each item in its zone.
      const pad = 14 * 3600 * 1000;
      items = await this.app.api.calendarOfSites(this.app.sites.map((site) => site.id),
        new Date(info.start.getTime() - pad), new Date(info.end.getTime() + pad));
    } else {
      const site = this.app.site;
      items = await this.app.api.calendar(
        site.id, instantFromFloating(info.start, site.zone), instantFromFloating(info.end, site.zone),
      );
    }
    const events = items.filter(itemInstant).map((item) => ({
      id: item.id,
      title: item.title || "(untitled)",
      start: floating(itemInstant(item), this.zoneOf(item)),
      allDay: false,
      classNames: [`status-${item.site_status}`],
      startEditable: this.writable && canReschedule(item),
      extendedProps: { item },
    }));
    return { items, events: events.concat(this.allSites ? [] : shadedDays(settings, items, this.zone, info.start, info.end)) };
  }

  /** The latest fetch's items: what scheduling checks against, and the details panel's copy. */
  showItems(items) {
    this.items = new Map(items.map((item) => [item.id, item]));
    if (this.selected && this.items.has(this.selected.id)) this.select(this.items.get(this.selected.id), false);
  }

  async loadZones() {
    const missing = this.app.sites.filter((site) => !this.zones.has(site.id));
    const settings = await Promise.all(missing.map((site) => this.app.api.settings(site.id).catch(() => null)));
    missing.forEach((site, index) => this.zones.set(site.id, settings[index]?.timezone || "UTC"));
  }

  showAllSites(on) {
    this.allSites = on;
    $("site-zone").textContent = on ? "Times in each site's zone" : `Times in ${this.zone}`;
    if (this.selected) this.close();
    this.stale = true;
    this.show();
  }

  siteName(item) {
    return this.app.sites.find((site) => site.id === item.site_id)?.name || item.site_id;
  }

  /** An item reads as icon + time + title (the icon tells the status without colour). */
  content({ event, timeText, view }) {
    const item = event.extendedProps.item;
    if (!item) return { domNodes: [element("div", { className: "fc-event-title" }, event.title)] }; // a shaded day's word
    const site = this.allSites ? element("span", { className: "site-tag" }, `${this.siteName(item)}: `) : null;
    if (view.type.startsWith("list")) { // domNodes takes nodes only: one span holds the text
      return { domNodes: [element("span", {}, site, event.title, " ", statusBadge(item.site_status), " ",
        changedBadge(item))] };
    }
    return { domNodes: [element("div", { className: "fc-event-main-frame" },
      element("div", { className: "fc-event-time" }, icon(STATUS_ICONS[item.site_status]), timeText),
      element("div", { className: "fc-event-title-container" },
        element("div", { className: "fc-event-title" }, site, event.title)))] };
  }

  decorate({ event, el }) {
    const item = event.extendedProps.item;
    if (!item) {
      el.dataset.slot = event.extendedProps.slot;
      el.dataset.day = event.extendedProps.day;
      return;
    }
    el.dataset.contentId = item.id;
    el.classList.toggle("is-selected", item.id === this.selected?.id);
    el.dataset.status = item.site_status;
    const site = this.allSites ? `${this.siteName(item)}, ` : "";
    el.setAttribute("aria-label",
      `${item.title}, ${site}${STATUS_LABELS[item.site_status]}, ${whenText(item, this.zoneOf(item))}`);
    el.addEventListener("focus", () => this.showTooltip(event, el));
    el.addEventListener("blur", () => this.hideTooltip());
  }

  /** The destinations and their records, fetched once per item until something changes. */
  status(contentId) {
    if (!this.statuses.has(contentId)) {
      const pending = this.app.api.publishStatus(contentId);
      pending.catch(() => this.statuses.delete(contentId));
      this.statuses.set(contentId, pending);
    }
    return this.statuses.get(contentId);
  }

  async showTooltip(event, el) {
    const item = event.extendedProps.item;
    const tip = $("tooltip");
    this.tooltipFor = item.id;
    const destinations = element("p", { className: "muted" }, "Loading destinations…");
    tip.replaceChildren(
      element("strong", {}, item.title),
      element("p", {}, statusBadge(item.site_status), " ", whenText(item, this.zoneOf(item))),
      destinations,
    );
    const box = el.getBoundingClientRect();
    tip.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - 320))}px`;
    tip.style.top = `${box.bottom + 6}px`;
    tip.hidden = false;
    el.setAttribute("aria-describedby", "tooltip");
    let records;
    try {
      records = recordsList((await this.status(item.id)).records || []);
    } catch {
      records = element("p", { className: "muted" }, "Destinations could not be loaded.");
    }
    if (this.tooltipFor === item.id) destinations.replaceWith(records);
  }

  hideTooltip() {
    this.tooltipFor = null;
    $("tooltip").hidden = true;
  }

  /** Outside the slots (or on a full day), the user confirms first; true to go ahead. */
  confirmOutside(item, wall) {
    const reason = outsideReason(this.settings, [...this.items.values()], this.zone, wall, item.id);
    if (!reason) return true;
    const when = formatInZone(instantFromFloating(wall, this.zone), this.zone);
    return this.app.confirm(`${when}: ${reason}. Schedule “${item.title}” there anyway?`);
  }

  async dropped(info) {
    const item = info.event.extendedProps.item;
    if (!this.confirmOutside(item, info.event.start)) {
      info.revert();
      this.app.notice(`“${item.title}” stays at ${whenText(item, this.zone)}.`);
      return;
    }
    const at = instantFromFloating(info.event.start, this.zone);
    const updated = await this.app.act(
      () => this.app.api.schedule(item.id, at),
      (result) => `Moved “${item.title}” to ${whenText(result, this.zone)}.`,
      `“${item.title}” was not moved`,
    );
    if (!updated) info.revert();
    this.hideTooltip();
  }

  /** A backlog item dropped on a day (month view: at the day's first slot) or a time (week view). */
  async droppedFromBacklog(info) {
    const item = this.backlog.get(info.draggedEl.dataset.contentId);
    if (!item || !this.writable) return;
    let wall = info.date;
    if (info.allDay) {
      const [hours, minutes] = firstSlotStart(this.settings).split(":").map(Number);
      wall = new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate(), hours, minutes));
    }
    if (!this.confirmOutside(item, wall)) {
      this.app.notice(`“${item.title}” stays in the backlog.`);
      return;
    }
    await this.scheduleItem(item, instantFromFloating(wall, this.zone));
  }

  /** Schedule a backlog item at an instant, or in the next free slot when `at` is null. */
  scheduleItem(item, at) {
    return this.app.act(
      () => this.app.api.schedule(item.id, at),
      (result) => `Scheduled “${item.title}” for ${whenText(result, this.zone)}.`,
      `“${item.title}” was not scheduled`,
    );
  }

  async loadBacklog() {
    if (this.allSites) return;
    const site = this.app.site;
    try {
      const items = await this.app.api.backlog(site.id);
      if (site !== this.app.site) return;
      this.backlog = new Map(items.map((item) => [item.id, item]));
      this.renderBacklog(items);
    } catch (error) {
      if (site !== this.app.site) return;
      this.app.problem(`The backlog could not be loaded: ${error.detail || error.message}`, { load: true });
    }
  }

  renderBacklog(items) {
    const list = $("backlog-list");
    const focused = list.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    list.replaceChildren(...items.map((item) => this.backlogItem(item)));
    $("backlog-empty").hidden = items.length > 0;
    $("backlog-count").textContent = String(items.length);
    if (focused) (list.querySelector(`[data-action="${focused}"]`) || $("backlog-title")).focus();
  }

  backlogItem(item) {
    const title = item.title || "(untitled)";
    const open = element("button", { type: "button", className: "link", dataset: { action: "open" } }, title);
    open.addEventListener("click", () => this.select(item, true));
    const node = element("li", {
      className: "backlog-item",
      dataset: { contentId: item.id, title, draggable: this.writable ? "true" : null },
    }, element("span", { className: "grip", "aria-hidden": "true" }, this.writable ? "⠿" : ""), open,
    element("span", { className: "muted small" }, item.published_at ? "Retracted" : "Approved"));
    if (this.writable) {
      const next = element("button", {
        type: "button", className: "ghost small", dataset: { action: "next-slot" },
        "aria-label": `Next free slot: ${title}`,
      }, "Next free slot");
      next.addEventListener("click", async () => {
        next.disabled = true;
        const updated = await this.scheduleItem(item, null);
        next.disabled = false;
        if (updated?.id) this.select(updated, false);
      });
      node.append(next);
    }
    return node;
  }

  /** Show an item in the details panel; `focus` moves the keyboard there (after a click or Enter). */
  select(item, focus) {
    this.selected = item;
    for (const el of document.querySelectorAll("#calendar .fc-event[data-content-id]")) {
      el.classList.toggle("is-selected", el.dataset.contentId === item.id);
    }
    const panel = $("details");
    const hadFocus = panel.contains(document.activeElement);
    panel.replaceChildren(...this.detailsOf(item));
    if (panel.hidden) {
      panel.hidden = false;
      this.calendar.updateSize(); // the grid just gave the panel its column
    }
    panel.onkeydown = (event) => {
      if (event.key === "Escape") this.close();
    };
    if (focus || hadFocus) $("details-title").focus();
    this.status(item.id).then(
      (status) => $("details-records")?.replaceChildren(recordsList(status.records || [])),
      () => $("details-records")?.replaceChildren(element("p", { className: "muted" }, "Destinations could not be loaded.")),
    );
    // The history, where the API has it (an older API answers 404: nothing is shown).
    this.app.api.history(item.id).then((entries) => {
      if (!Array.isArray(entries) || !entries.length || this.selected?.id !== item.id) return;
      $("details-history")?.replaceChildren(element("h3", {}, "History"), element("ol", { className: "history" },
        ...entries.map((entry) => element("li", {},
          element("span", { className: "muted" }, entry.at ? formatInZone(entry.at, this.zoneOf(item)) : ""), " ",
          [entry.action, entry.from && entry.to ? `${entry.from} → ${entry.to}` : null, entry.actor ? `by ${entry.actor}` : null]
            .filter(Boolean).join(" · ")))));
    }, () => {});
  }

  close() {
    const id = this.selected?.id;
    this.selected = null;
    for (const el of document.querySelectorAll("#calendar .fc-event.is-selected")) el.classList.remove("is-selected");
    $("details").hidden = true;
    this.calendar.updateSize();
    document.querySelector(`.fc-event[data-content-id="${CSS.escape(id || "")}"], .backlog-item[data-content-id="${CSS.escape(id || "")}"] button`)?.focus();
  }

  detailsOf(item) {
    const zone = this.zoneOf(item);
    const nodes = [
      element("h2", { id: "details-title", tabindex: "-1" }, item.title),
      this.allSites ? element("p", { className: "muted" }, this.siteName(item)) : null,
      element("p", {}, statusBadge(item.site_status), " ", changedBadge(item), " ", whenText(item, zone)),
      element("h3", {}, "Destinations"),
      element("div", { id: "details-records" }, element("p", { className: "muted" }, "Loading…")),
      element("div", { id: "details-history" }),
    ].filter(Boolean);
    if (this.writable) {
      const actions = element("div", { className: "actions" });
      if (canPublishNow(item)) {
        actions.append(this.button("Publish now", () => this.app.api.publishNow(item.id),
          `Publishing “${item.title}” now.`, `“${item.title}” could not be published`, "",
          `Publish “${item.title}” now, at every destination?`));
      }
      if (canUnschedule(item)) {
        actions.append(this.button("Unschedule", () => this.app.api.unschedule(item.id),
          `“${item.title}” is no longer scheduled.`, `“${item.title}” could not be unscheduled`, "ghost",
          `Unschedule “${item.title}”? It goes back to the backlog.`));
      }
      if (canSchedule(item)) {
        actions.append(this.button("Next free slot", () => this.app.api.schedule(item.id, null),
          (result) => `Scheduled “${item.title}” for ${whenText(result, zone)}.`, `“${item.title}” was not scheduled`));
      }
      nodes.push(actions);
      if (canReschedule(item) || canSchedule(item)) nodes.push(this.scheduleForm(item));
    }
    const close = element("button", { type: "button", className: "ghost close" }, "Close (Esc)");
    close.addEventListener("click", () => this.close());
    nodes.push(close);
    return nodes;
  }

  button(label, work, done, refusal, className = "", question = null) {
    const button = element("button", { type: "button", className }, label);
    button.addEventListener("click", async () => {
      if (question && !this.app.confirm(question)) return;
      button.disabled = true;
      const result = await this.app.act(work, done, refusal);
      button.disabled = false;
      if (result?.id) this.select(result, true);
    });
    return button;
  }

  /** The date/time field that reschedules a scheduled item or schedules a backlog item. */
  scheduleForm(item) {
    const zone = this.zone;
    const scheduling = canSchedule(item);
    const at = scheduling ? null : itemInstant(item);
    const input = element("input", {
      id: "reschedule-at", type: "datetime-local", required: true, "aria-describedby": "reschedule-error",
      value: at ? toLocalInput(at, zone) : "",
    });
    const error = element("p", { id: "reschedule-error", className: "field-error" });
    const form = element("form", { className: "reschedule" },
      element("label", { for: "reschedule-at" }, `${scheduling ? "Publish at" : "New time"} (${zone})`), input,
      element("button", { type: "submit" }, scheduling ? "Schedule" : "Reschedule"), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const when = fromLocalInput(input.value, zone);
      if (!when) {
        error.textContent = "Enter a date and a time.";
        input.setAttribute("aria-invalid", "true");
        return;
      }
      const updated = scheduling ? await this.scheduleItem(item, when) : await this.app.act(
        () => this.app.api.schedule(item.id, when),
        (result) => `Moved “${item.title}” to ${whenText(result, zone)}.`,
        `“${item.title}” was not moved`,
      );
      if (updated) {
        this.calendar.gotoDate(floating(when, zone));
        this.select(updated, true);
      } else {
        error.textContent = this.app.lastProblem;
        input.setAttribute("aria-invalid", "true");
      }
    });
    return form;
  }
}
