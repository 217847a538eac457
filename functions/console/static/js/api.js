// The Publisher API as the console uses it: the envelope unwrapped, errors as ApiError.

/** A refused or failed request, with the server's sentence and its field-level reasons. */
export class ApiError extends Error {
  constructor(status, message, errors = {}) {
    super(message);
    this.status = status;
    this.errors = errors;
  }

  /** The sentence plus every field reason, for a notice. */
  get detail() {
    const reasons = Object.entries(this.errors).map(([field, why]) => `${field}: ${why.join(", ")}`);
    return [this.message, ...reasons].join(" — ");
  }
}

/** `2026-11-24T14:00:00Z`: the API's format, without milliseconds. */
export function utc(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const changedAt = (item) => item.site_status_updated_at || item.updated_at || "";

export class PublisherApi {
  /** `base` is the API's root URL (…/api/v1/); `token` returns the bearer token or null. */
  constructor(base, token, onUnauthorized) {
    this.base = base;
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  /** The whole success envelope of one request. */
  async send(method, path, { query, body } = {}) {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, value);
    }
    const headers = { Accept: "application/json", Authorization: `Bearer ${this.token()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "The API could not be reached; check the connection and try again.");
    }
    const envelope = await response.json().catch(() => null);
    if (response.ok && envelope && envelope.success) return envelope;
    if (response.status === 401) this.onUnauthorized();
    const message = envelope?.error || `The API answered ${response.status}.`;
    throw new ApiError(response.status, message, envelope?.errors || {});
  }

  async request(method, path, options) {
    return (await this.send(method, path, options)).data;
  }

  /** Every item of a list endpoint, following `next_cursor` (bounded, as a console needs no more).
   * An item that changed status while the list was read can come twice: the latest copy wins. */
  async collect(path, query, maxPages = 10) {
    const items = new Map();
    let cursor = null;
    for (let page = 0; page < maxPages; page += 1) {
      const envelope = await this.send("GET", path, { query: { ...query, limit: 200, cursor } });
      for (const item of envelope.data) {
        const seen = items.get(item.id);
        if (!seen || changedAt(item) >= changedAt(seen)) items.set(item.id, item);
      }
      cursor = envelope.next_cursor;
      if (!cursor) break;
    }
    return [...items.values()];
  }

  sites() {
    return this.collect("sites/", {});
  }

  settings(siteId) {
    return this.request("GET", `sites/${encodeURIComponent(siteId)}/publishing-settings/`);
  }

  saveSettings(siteId, settings) {
    return this.request("PUT", `sites/${encodeURIComponent(siteId)}/publishing-settings/`, { body: settings });
  }

  preview(siteId, count) {
    return this.request("GET", `sites/${encodeURIComponent(siteId)}/publishing-settings/preview/`, { query: { count } });
  }

  calendar(siteId, start, end) {
    return this.collect("publisher/calendar/", { site_id: siteId, start: utc(start), end: utc(end) });
  }

  /** Every site's items in one list: the all-sites route where the API has it, else site by site. */
  async calendarOfSites(siteIds, start, end) {
    try {
      const items = await this.collect("publisher/calendar/", { start: utc(start), end: utc(end) });
      if (items.every((item) => item.site_id)) return items;
    } catch (error) {
      if (error.status === 0 || error.status === 401 || error.status >= 500) throw error;
    }
    const lists = await Promise.all(siteIds.map((id) => this.calendar(id, start, end)));
    return lists.flat();
  }

  /** Approved content that is on no schedule: the calendar's backlog. */
  backlog(siteId) {
    return this.collect("content/", { site_id: siteId, status: "approved", site_status: "not_published" });
  }

  /** An item's changes of status and schedule; null where the API has no such route yet. */
  async history(contentId) {
    try {
      return await this.request("GET", `content/${encodeURIComponent(contentId)}/history/`);
    } catch (error) {
      if (error.status === 404 || error.status === 405) return null;
      throw error;
    }
  }

  queue(siteId) {
    return this.collect("publisher/queue/", { site_id: siteId });
  }

  /** Schedule or reschedule to an instant (a Date), or into the next free slot when `at` is null. */
  schedule(contentId, at) {
    const body = at ? { scheduled_publish_at: utc(at) } : {};
    return this.request("POST", `content/${encodeURIComponent(contentId)}/schedule/`, { body });
  }

  unschedule(contentId) {
    return this.request("POST", `content/${encodeURIComponent(contentId)}/unschedule/`, { body: {} });
  }

  /** One action on many items (`approve`, `schedule`, `unschedule`, `publish`), each done or refused
   * alone: every item's `{id, ok, status, error, data}`. The API takes 100 ids a request. */
  async bulk(action, contentIds, at = null) {
    const results = [];
    for (let start = 0; start < contentIds.length; start += 100) {
      const body = { action, ids: contentIds.slice(start, start + 100) };
      if (at) body.scheduled_publish_at = utc(at);
      results.push(...(await this.request("POST", "content/bulk/", { body })).results);
    }
    return results;
  }

  publishNow(contentId) {
    return this.request("POST", "publisher/publish/", { body: { content_id: contentId } });
  }

  publishStatus(contentId) {
    return this.request("GET", "publisher/publish/status/", { query: { content_id: contentId } });
  }
}
