// The settings page: edit a site's publishing settings, with the API's field errors shown next
// to their fields (keys such as "publish_time_slots.0.start"), and the preview of the next slots.

import { element } from "./items.js";
import { formatInZone } from "./zones.js";

const DAYS = [["mon", "Mon"], ["tue", "Tue"], ["wed", "Wed"], ["thu", "Thu"], ["fri", "Fri"], ["sat", "Sat"], ["sun", "Sun"]];
const LIMITS = ["daily_publish_limit", "weekly_publish_limit", "monthly_publish_limit"];
const PREVIEW_COUNT = 5;
const $ = (id) => document.getElementById(id);

export class SettingsPage {
  constructor(app) {
    this.app = app;
    this.stale = true;
    this.saved = null;
    this.form = $("settings-form");
    $("publish-days").append(...DAYS.map(([value, label]) => element("label", { className: "check day" },
      element("input", { type: "checkbox", name: "publish_days", value }), ` ${label}`)));
    $("zones").append(...Intl.supportedValuesOf("timeZone").map((zone) => new Option(zone)));
    $("add-slot").addEventListener("click", () => this.addSlot({ start: "", end: "" }, true));
    $("add-blackout").addEventListener("click", () => this.addBlackout("", true));
    $("settings-reset").addEventListener("click", () => this.fill(this.saved));
    this.form.addEventListener("submit", (event) => this.save(event));
  }

  show() {
    if (this.stale) this.load();
  }

  hide() {}

  async load() {
    const site = this.app.site;
    try {
      const settings = await this.app.api.settings(site.id);
      if (site !== this.app.site) return;
      this.stale = false;
      this.fill(settings);
      this.app.loaded();
    } catch (error) {
      if (site !== this.app.site) return;
      this.app.problem(`The settings could not be loaded: ${error.detail}`, { load: true });
    }
    this.loadPreview();
  }

  async loadPreview() {
    const site = this.app.site;
    const list = $("preview-list");
    try {
      const { slots } = await this.app.api.preview(site.id, PREVIEW_COUNT);
      list.replaceChildren(...slots.map((slot) => element("li", {}, formatInZone(slot.scheduled_publish_at, site.zone))));
      if (!slots.length) list.replaceChildren(element("li", { className: "muted" }, "No free slot: check the days, slots and limits."));
    } catch (error) {
      list.replaceChildren(element("li", { className: "muted" }, `No preview: ${error.detail}`));
    }
  }

  fill(settings) {
    this.saved = settings;
    this.showErrors({});
    const form = this.form;
    form.elements.auto_approval_enabled.checked = Boolean(settings.auto_approval_enabled);
    form.elements.auto_publish_enabled.checked = Boolean(settings.auto_publish_enabled);
    for (const name of LIMITS) form.elements[name].value = settings[name] ?? "";
    for (const box of form.querySelectorAll('input[name="publish_days"]')) {
      box.checked = (settings.publish_days || []).includes(box.value);
    }
    $("slots").replaceChildren();
    for (const slot of settings.publish_time_slots || []) this.addSlot(slot, false);
    form.elements.timezone.value = settings.timezone || "UTC";
    form.elements.missed_schedule_policy.value = settings.missed_schedule_policy || "publish_late";
    $("blackouts").replaceChildren();
    for (const day of settings.blackout_dates || []) this.addBlackout(day, false);
    // Viewers read the settings; the API would refuse their save.
    for (const control of form.elements) control.disabled = !this.app.canWrite;
  }

  /** Rows are renumbered after a removal so their keys match the list the API will see. */
  renumber(container, prefix, labelOf) {
    [...container.children].forEach((row, index) => {
      row.dataset.field = `${prefix}.${index}`;
      for (const field of row.querySelectorAll("[data-part]")) {
        field.dataset.field = `${prefix}.${index}.${field.dataset.part}`;
      }
      const labels = row.querySelectorAll("label"); // one per input, in the same order
      row.querySelectorAll("input").forEach((input, position) => {
        const part = input.closest("[data-part]")?.dataset.part;
        input.id = `${prefix}-${index}-${part || "value"}`;
        labels[position].htmlFor = input.id;
        input.setAttribute("aria-label", labelOf(index, part));
      });
      row.querySelector("button.remove").setAttribute("aria-label", `Remove ${labelOf(index)}`);
    });
  }

  addSlot(slot, focus) {
    // Each time sits in a field of its own, so its error shows right under it.
    const part = (name, value) => element("div", { className: "field", dataset: { part: name } },
      element("input", { type: "time", value, dataset: { slot: name } }));
    const row = element("div", { className: "slot field" },
      element("label", {}, "From"), part("start", slot.start), element("label", {}, "to"), part("end", slot.end),
      element("button", { type: "button", className: "ghost remove" }, "Remove"));
    this.addRow($("slots"), row, "publish_time_slots",
      (index, name) => `slot ${index + 1}${name ? ` ${name === "start" ? "start" : "end"}` : ""}`, focus);
  }

  addBlackout(day, focus) {
    const row = element("div", { className: "blackout field" },
      element("label", {}, "Date"), element("input", { type: "date", value: day }),
      element("button", { type: "button", className: "ghost remove" }, "Remove"));
    this.addRow($("blackouts"), row, "blackout_dates", (index) => `blackout date ${index + 1}`, focus);
  }

  addRow(container, row, prefix, labelOf, focus) {
    container.append(row);
    row.querySelector("button.remove").addEventListener("click", () => {
      row.remove();
      this.renumber(container, prefix, labelOf);
      (container.querySelector("input") || container.parentElement.querySelector("button:not(.remove)")).focus();
    });
    this.renumber(container, prefix, labelOf);
    if (focus) row.querySelector("input").focus();
  }

  /** The form as the API's body; null (with the problems shown) when a field is not a number. */
  read() {
    const form = this.form;
    const problems = {};
    const body = {
      auto_approval_enabled: form.elements.auto_approval_enabled.checked,
      auto_publish_enabled: form.elements.auto_publish_enabled.checked,
    };
    for (const name of LIMITS) {
      const input = form.elements[name];
      if (input.validity.badInput) problems[name] = ["enter a whole number, or leave it empty for no limit"];
      body[name] = input.value === "" ? null : Number(input.value);
    }
    body.publish_days = [...form.querySelectorAll('input[name="publish_days"]:checked')].map((box) => box.value);
    body.publish_time_slots = [...$("slots").children].map((row) => ({
      start: row.querySelector('input[data-slot="start"]').value,
      end: row.querySelector('input[data-slot="end"]').value,
    }));
    body.timezone = form.elements.timezone.value.trim();
    body.missed_schedule_policy = form.elements.missed_schedule_policy.value;
    body.blackout_dates = [...$("blackouts").querySelectorAll("input")].map((input) => input.value).filter(Boolean);
    if (Object.keys(problems).length) {
      this.showErrors(problems);
      return null;
    }
    return body;
  }

  async save(event) {
    event.preventDefault();
    const body = this.read();
    if (!body) return;
    const site = this.app.site;
    try {
      const saved = await this.app.api.saveSettings(site.id, body);
      this.fill(saved);
      this.app.notice("Settings saved.");
      if (saved.timezone !== site.zone) await this.app.selectSite(site.id); // times now read in the new zone
      else this.app.changed();
    } catch (error) {
      // Field errors go next to their fields (the summary announces them); others to the page.
      const fields = error.errors || {};
      if (Object.keys(fields).length) {
        this.app.notice("");
        this.showErrors(fields);
      } else {
        this.app.problem(`The settings were not saved: ${error.detail || error.message}`);
      }
    }
  }

  /** Put each reason next to the most specific field its key names ("a.0.b", else "a.0", else "a"). */
  showErrors(errors) {
    for (const node of this.form.querySelectorAll(".field-error")) node.remove();
    for (const node of this.form.querySelectorAll("[aria-invalid]")) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    }
    const unplaced = [];
    let first = null;
    for (const [key, reasons] of Object.entries(errors)) {
      const target = this.fieldOf(key);
      if (!target) {
        unplaced.push(`${key}: ${reasons.join(" ")}`);
        continue;
      }
      const id = `error-${target.dataset.field.replace(/[^\w-]/g, "-")}`;
      let note = document.getElementById(id);
      if (!note) {
        note = element("p", { id, className: "field-error" });
        target.append(note);
      }
      note.textContent = [note.textContent, ...reasons].filter(Boolean).join(" ");
      const controls = [...target.querySelectorAll("input, select")].filter((input) => input.closest("[data-field]") === target);
      for (const control of target.tagName === "FIELDSET" ? [target, ...controls] : controls) {
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", id);
      }
      first = first || controls[0];
    }
    const count = Object.keys(errors).length;
    $("settings-summary").textContent = count
      ? [`The settings were not saved: ${count} problem${count > 1 ? "s are" : " is"} marked below.`,
        ...unplaced].join(" ")
      : "";
    first?.focus();
  }

  fieldOf(key) {
    for (let name = key; name; name = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : "") {
      const target = this.form.querySelector(`[data-field="${CSS.escape(name)}"]`);
      if (target) return target;
    }
    return null;
  }
}
