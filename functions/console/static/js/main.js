// The console shell: sign-in, the site picker, page switching (#calendar, #queue, #settings)
// and the notices every page shares.

import { PublisherApi } from "./api.js";
import { CalendarPage } from "./calendar.js";
import { QueuePage } from "./queue.js";
import { SettingsPage } from "./settings.js";
import { isKnownZone } from "./zones.js";

const TOKEN_KEY = "publisher.console.token";
const SITE_KEY = "publisher.console.site";
const PAGES = ["calendar", "queue", "settings"];

const $ = (id) => document.getElementById(id);

/** The token's claims, for showing who is signed in (the API verifies the token, not the page). */
function claimsOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

class ConsoleApp {
  constructor() {
    this.api = new PublisherApi(
      new URL("../api/v1/", window.location.href),
      () => sessionStorage.getItem(TOKEN_KEY),
      () => {
        this.signOut();
        this.problem("The API refused the token (expired or not valid). Sign in again.");
      },
    );
    this.site = null; // {id, name, zone, settings}
    this.sites = []; // every site of the account: [{id, name}]
    this.role = null; // the token's role, for the UI only: the API enforces it
    this.current = null;
    this.choices = 0; // site choices made: the latest is the one shown
    this.pages = { calendar: new CalendarPage(this), queue: new QueuePage(this), settings: new SettingsPage(this) };
  }

  async start() {
    this.takeTokenFromFragment();
    $("signin-form").addEventListener("submit", (event) => this.signIn(event));
    $("sign-out").addEventListener("click", () => {
      this.signOut();
      this.notice("Signed out.");
    });
    $("site-picker").addEventListener("change", (event) => this.selectSite(event.target.value));
    window.addEventListener("hashchange", () => this.route());
    if (!window.FullCalendar) {
      this.problem("The calendar library is missing from this deployment (run `make console`).");
    }
    if (sessionStorage.getItem(TOKEN_KEY)) await this.enter();
    else this.showSignIn();
  }

  /** The platform hands a token over as `#token=…`; keep it in this tab and drop it from the address. */
  takeTokenFromFragment() {
    const match = window.location.hash.match(/^#token=([^&]+)/);
    if (!match) return;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", `${window.location.pathname}${window.location.search}#calendar`);
  }

  async signIn(event) {
    event.preventDefault();
    const token = $("token-input").value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token-input").value = "";
    await this.enter();
  }

  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    this.site = null;
    this.pages[this.current]?.hide();
    this.current = null;
    this.showSignIn();
  }

  showSignIn() {
    for (const name of PAGES) $(`page-${name}`).hidden = true;
    $("nav").hidden = true;
    $("session").hidden = true;
    $("page-signin").hidden = false;
    $("token-input").focus();
  }

  async enter() {
    let sites;
    try {
      sites = await this.api.sites();
    } catch (error) {
      if (error.status !== 401) this.problem(error.detail);
      return;
    }
    const claims = claimsOf(sessionStorage.getItem(TOKEN_KEY) || "");
    $("identity").textContent = claims.role ? `${claims.sub || "user"} · ${claims.role}` : "";
    this.role = typeof claims.role === "string" ? claims.role : null;
    document.body.classList.toggle("read-only", !this.canWrite);
    $("read-only-note").hidden = this.canWrite;
    this.sites = sites.map((site) => ({ id: site.id, name: site.name }));
    $("page-signin").hidden = true;
    $("nav").hidden = false;
    $("session").hidden = false;
    this.clearProblem();
    const picker = $("site-picker");
    picker.replaceChildren(...sites.map((site) => new Option(site.name, site.id)));
    if (!sites.length) {
      this.problem("This account has no sites yet: create one through the API first.");
      return;
    }
    const saved = sessionStorage.getItem(SITE_KEY);
    await this.selectSite(sites.some((site) => site.id === saved) ? saved : sites[0].id);
  }

  /** Load a site's time zone, then show it on the current page. */
  async selectSite(siteId) {
    const choice = ++this.choices; // a quicker choice made after this one wins
    const picker = $("site-picker");
    picker.value = siteId;
    sessionStorage.setItem(SITE_KEY, siteId);
    this.clearProblem(); // a stale error belongs to the site before
    let zone = "UTC";
    let settings = null;
    try {
      settings = await this.api.settings(siteId);
      zone = isKnownZone(settings.timezone) ? settings.timezone : "UTC";
    } catch (error) {
      if (choice === this.choices) this.problem(error.detail, { load: true });
    }
    if (choice !== this.choices) return; // another site was chosen meanwhile
    this.site = { id: siteId, name: picker.selectedOptions[0]?.textContent || siteId, zone, settings };
    $("site-zone").textContent = `Times in ${zone}`;
    this.markStale();
    this.route();
  }

  route() {
    if (!this.site) return;
    const hash = window.location.hash.slice(1);
    const name = PAGES.includes(hash) ? hash : "calendar";
    if (name !== this.current) {
      if (this.current) this.clearProblem(); // an error belongs to the page it happened on
      this.pages[this.current]?.hide();
      for (const page of PAGES) $(`page-${page}`).hidden = page !== name;
      for (const link of $("nav").querySelectorAll("a")) {
        if (link.dataset.page === name) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
      this.current = name;
    }
    this.pages[name].show();
  }

  /** Something changed on the server (a move, an unschedule…): every page reloads when shown. */
  changed() {
    this.markStale();
    if (this.current && this.site) this.pages[this.current].show();
  }

  /** Run one write, say what happened and refresh the pages; its result, or null when refused. */
  async act(work, done, refusal) {
    try {
      const result = await work();
      this.changed();
      this.notice(typeof done === "function" ? done(result) : done); // also clears an error banner
      return result ?? true;
    } catch (error) {
      this.lastProblem = error.detail || error.message;
      this.problem(`${refusal}: ${this.lastProblem}`);
      return null;
    }
  }

  /** Viewers read; the API refuses their writes anyway, so the console offers none. */
  get canWrite() {
    return this.role !== "viewer";
  }

  /** Ask before a destructive or unusual action (a native dialog: keyboard and screen-reader ready). */
  confirm(message) {
    return window.confirm(message);
  }

  markStale() {
    for (const page of Object.values(this.pages)) page.stale = true;
  }

  notice(message) {
    $("problem").textContent = "";
    $("notice").textContent = message;
  }

  /** An error banner; `load` marks one of a failed load, which the next successful load clears. */
  problem(message, { load = false } = {}) {
    $("notice").textContent = "";
    $("problem").textContent = message;
    this.problemFromLoad = load;
  }

  /** A load succeeded: its earlier failure no longer holds (a refused write's reason stays). */
  loaded() {
    if (this.problemFromLoad) this.clearProblem();
  }

  clearProblem() {
    $("problem").textContent = "";
    this.problemFromLoad = false;
  }
}

new ConsoleApp().start();
