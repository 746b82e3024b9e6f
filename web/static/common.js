"use strict";
// Shared helpers: CSRF-protected JSON calls, i18n strings, durations.
const CC = {
  csrf: document.querySelector('meta[name="csrf-token"]').content,
  t: JSON.parse((document.getElementById("i18n") || {textContent: "{}"}).textContent),
  async call(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": CC.csrf},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.field ? data.field + ": " : "") + (data.error || response.status));
    return data;
  },
  say(text, error) {
    const el = document.getElementById("message");
    el.textContent = text; el.className = "message" + (error ? " error" : "");
  },
  duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
  },
  when(iso) {  // the browser's local time, YYYY-MM-DD HH:MM
    if (!iso) return "";
    const d = new Date(iso), p = n => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  },
  money(cents) { return (cents / 100).toFixed(2); },
  phone(el, p) {  // an agent's phone: online (softphone on hover) or offline, why and since when
    el.hidden = !p;
    if (!p) return;
    const t = CC.t;
    if (p.registered) {
      el.textContent = t["phone.online"] || "Phone online";
      el.title = [p.user_agent, p.contact].filter(Boolean).join(" · ");
    } else {
      el.textContent = (t["phone.offline"] || "Phone offline") + (p.reason ? " · " + (t["phone." + p.reason] || p.reason) : "")
        + (p.since ? " · " + (t["phone.since"] || "since") + " " + CC.when(p.since).slice(11) : "");
      el.title = "";
    }
    el.classList.toggle("phone-offline", !p.registered);
    el.classList.toggle("phone-online", !!p.registered);
  },
  el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = text; if (cls) e.className = cls; return e; },
  row(cells, cls) { const tr = CC.el("tr", null, cls); for (const c of cells) { const td = c instanceof Node ? c : CC.el("td", c); tr.appendChild(td); } return tr; },
  fill(tbody, rows, cols) { tbody.replaceChildren(...(rows.length ? rows : [CC.row([CC.el("td", "—", "empty")])])); if (!rows.length) tbody.firstChild.firstChild.colSpan = cols; },
  stream(url, handlers) {
    const conn = document.getElementById("conn");
    const source = new EventSource(url);
    source.onopen = () => conn.className = "conn up";
    source.onerror = () => conn.className = "conn down";
    for (const [name, fn] of Object.entries(handlers)) source.addEventListener(name, e => fn(JSON.parse(e.data)));
    return source;
  },
};
