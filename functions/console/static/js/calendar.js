// The calendar page: month, week and list views of one site's items, hover details, and
// rescheduling by drag-and-drop or, from the keyboard, through a date/time field.

import {
  STATUS_LABELS, canPublishNow, canReschedule, canUnschedule, element, itemInstant, recordsList, statusBadge,
  whenText,
} from "./items.js";
import { floating, fromLocalInput, instantFromFloating, toLocalInput } from "./zones.js";

const $ = (id) => document.getElementById(id);

export class CalendarPage {
  constructor(app) {
    this.app = app;
    this.calendar = null;
    this.stale = true;
    this.items = new Map(); // id → Content, from the last fetch
    this.statuses = new Map(); // id → Promise of the publish status (destinations and records)
    this.selected = null; // the Content shown in the details panel
  }

  get zone() {
    return this.app.site.zone;
  }

  show() {
    if (!window.FullCalendar) return;
    if (!this.calendar) {
      this.stale = false;
      this.calendar = this.create();
      this.calendar.render(); // fetches the events
      return;
    }
    this.calendar.updateSize();
    if (this.stale) {
      this.stale = false;
      if (this.selected && this.selected.site_id !== this.app.site.id) this.close();
      this.statuses.clear();
      this.calendar.setOption("now", () => floating(Date.now(), this.zone)); // the site may have changed
      this.calendar.refetchEvents();
    }
  }

  hide() {
    this.hideTooltip();
  }

  create() {
    return new window.FullCalendar.Calendar($("calendar"), {
      timeZone: "UTC", // floating dates: the UTC fields are the site's wall clock (see zones.js)
      now: () => floating(Date.now(), this.zone),
      initialView: "dayGridMonth",
      headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listMonth" },
      buttonText: { today: "Today", month: "Month", week: "Week", list: "List" },
      firstDay: 1,
      height: "auto",
      allDaySlot: false,
      nowIndicator: true,
      editable: true,
      eventDurationEditable: false,
      eventInteractive: true, // events are focusable; Enter opens the details
      eventDisplay: "block",
      defaultTimedEventDuration: "00:30",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      events: (info, success, failure) => this.fetch(info).then(success, (error) => {
        this.app.problem(`The calendar could not be loaded: ${error.detail || error.message}`);
        failure(error);
      }),
      // The shown range and view, and aria-busy while events load: for assistive tech and tests.
      datesSet: ({ start, end, view }) => {
        Object.assign($("calendar").dataset, {
          view: view.type, rangeStart: start.toISOString().slice(0, 10), rangeEnd: end.toISOString().slice(0, 10),
        });
      },
      loading: (busy) => $("calendar").setAttribute("aria-busy", String(busy)),
      eventDidMount: (info) => this.decorate(info),
      eventMouseEnter: (info) => this.showTooltip(info.event, info.el),
      eventMouseLeave: () => this.hideTooltip(),
      eventDragStart: () => this.hideTooltip(),
      eventDragStop: () => this.hideTooltip(),
      eventWillUnmount: () => this.hideTooltip(),
      eventClick: (info) => {
        info.jsEvent.preventDefault();
        this.select(info.event.extendedProps.item, true);
      },
      eventDrop: (info) => this.dropped(info),
    });
  }

  async fetch(info) {
    const site = this.app.site;
    const items = await this.app.api.calendar(
      site.id, instantFromFloating(info.start, site.zone), instantFromFloating(info.end, site.zone),
    );
    this.items = new Map(items.map((item) => [item.id, item]));
    if (this.selected && this.items.has(this.selected.id)) this.select(this.items.get(this.selected.id), false);
    return items.filter(itemInstant).map((item) => ({
      id: item.id,
      title: item.title || "(untitled)",
      start: floating(itemInstant(item), site.zone),
      allDay: false,
      classNames: [`status-${item.site_status}`],
      startEditable: canReschedule(item),
      extendedProps: { item },
    }));
  }

  decorate({ event, el, view }) {
    const item = event.extendedProps.item;
    if (view.type.startsWith("list")) el.querySelector(".fc-list-event-title")?.append(statusBadge(item.site_status));
    el.dataset.contentId = item.id;
    el.classList.toggle("is-selected", item.id === this.selected?.id);
    el.dataset.status = item.site_status;
    el.setAttribute("aria-label", `${item.title}, ${STATUS_LABELS[item.site_status]}, ${whenText(item, this.zone)}`);
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
      element("p", {}, statusBadge(item.site_status), " ", whenText(item, this.zone)),
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

  async dropped(info) {
    const item = info.event.extendedProps.item;
    const at = instantFromFloating(info.event.start, this.zone);
    const updated = await this.app.act(
      () => this.app.api.schedule(item.id, at),
      (result) => `Moved “${item.title}” to ${whenText(result, this.zone)}.`,
      `“${item.title}” was not moved`,
    );
    if (!updated) info.revert();
    this.hideTooltip();
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
  }

  close() {
    const id = this.selected?.id;
    this.selected = null;
    for (const el of document.querySelectorAll("#calendar .fc-event.is-selected")) el.classList.remove("is-selected");
    $("details").hidden = true;
    this.calendar.updateSize();
    document.querySelector(`.fc-event[data-content-id="${CSS.escape(id || "")}"]`)?.focus();
  }

  detailsOf(item) {
    const zone = this.zone;
    const nodes = [
      element("h2", { id: "details-title", tabindex: "-1" }, item.title),
      element("p", {}, statusBadge(item.site_status), " ", whenText(item, zone)),
      element("h3", {}, "Destinations"),
      element("div", { id: "details-records" }, element("p", { className: "muted" }, "Loading…")),
    ];
    const actions = element("div", { className: "actions" });
    if (canPublishNow(item)) {
      actions.append(this.button("Publish now", () => this.app.api.publishNow(item.id),
        `Publishing “${item.title}” now.`, `“${item.title}” could not be published`));
    }
    if (canUnschedule(item)) {
      actions.append(this.button("Unschedule", () => this.app.api.unschedule(item.id),
        `“${item.title}” is no longer scheduled.`, `“${item.title}” could not be unscheduled`, "ghost"));
    }
    nodes.push(actions);
    if (canReschedule(item)) nodes.push(this.rescheduleForm(item));
    const close = element("button", { type: "button", className: "ghost close" }, "Close (Esc)");
    close.addEventListener("click", () => this.close());
    nodes.push(close);
    return nodes;
  }

  button(label, work, done, refusal, className = "") {
    const button = element("button", { type: "button", className }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      const result = await this.app.act(work, done, refusal);
      button.disabled = false;
      if (result?.id) this.select(result, true);
    });
    return button;
  }

  rescheduleForm(item) {
    const zone = this.zone;
    const at = itemInstant(item);
    const input = element("input", {
      id: "reschedule-at", type: "datetime-local", required: true, "aria-describedby": "reschedule-error",
      value: at ? toLocalInput(at, zone) : "",
    });
    const error = element("p", { id: "reschedule-error", className: "field-error" });
    const form = element("form", { className: "reschedule" },
      element("label", { for: "reschedule-at" }, `New time (${zone})`), input,
      element("button", { type: "submit" }, "Reschedule"), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const when = fromLocalInput(input.value, zone);
      if (!when) {
        error.textContent = "Enter a date and a time.";
        input.setAttribute("aria-invalid", "true");
        return;
      }
      const updated = await this.app.act(
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
