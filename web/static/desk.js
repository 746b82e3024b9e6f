"use strict";
// The agent desk: state + timer, screen pop, call controls, ticket, wrap-up.
(() => {
  const $ = id => document.getElementById(id);
  const t = CC.t;
  let state = "logged_out", since = new Date(), pop = null, held = false;
  let wrapUuid = null;  // the call being wrapped up (the engine forgets it at hang-up)
  // Answers and events can arrive out of order (a slow GET /desk with a screen pop may
  // land after the event that ended the call): a state older than the shown one is stale.
  let shownSince = 0;
  const stale = s => Date.parse(s.since) < shownSince;

  // why an offer ringing on the agent's phone was taken back: said, not only shown
  const WITHDRAWN = ["caller_hung_up", "caller_chose_callback", "call_removed"];

  function showState(s) {
    if (stale(s)) return;
    shownSince = Date.parse(s.since);
    if (state === "offered" && WITHDRAWN.includes(s.reason)) CC.say(t[s.reason] || s.reason);
    state = s.state; since = new Date(s.since);
    if (state === "wrapup") wrapUuid = s.call_uuid || (pop && pop.call.uuid) || wrapUuid;
    $("state").textContent = t[state] || state;
    $("state").className = "pill " + state;
    $("state-reason").textContent = s.reason ? "· " + (t[s.reason] || s.reason) : "";
    tick();
    const onCall = state === "on_call" || state === "offered";
    if ("pending_reason" in s) showPending(s.pending_reason);
    // wrap-up ends through the wrap-up form: the disposition is required; on a call or in
    // wrap-up, Not ready means "not ready after this call" and Ready withdraws that
    $("btn-ready").disabled = state === "ready" || ((onCall || state === "wrapup") && !pending);
    $("btn-not-ready").disabled = state === "logged_out";
    $("btn-hold").disabled = state !== "on_call";
    $("btn-hangup").disabled = state !== "on_call";  // a ringing offer is answered on the phone
    $("btn-wrapup").disabled = !(state === "wrapup" && wrapUuid);
    if ("wrapup_until" in s) { wrapUntil = s.wrapup_until ? new Date(s.wrapup_until) : null; extendable = !!s.wrapup_extendable; }
    if (state !== "wrapup") { wrapUntil = null; extendable = false; }
    $("btn-extend").disabled = !(state === "wrapup" && extendable);
    if (state === "ready" || state === "not_ready") { if (pop && state === "ready") clearPop(); }
  }
  let pending = null;
  function showPending(reason) {
    pending = reason || null;
    $("pending").hidden = !pending;
    $("pending").textContent = pending ? (t["pending"] || "Not ready after this call") + " · " + (t[pending] || pending) : "";
  }
  let wrapUntil = null, extendable = false;  // wrap-up's own end, and whether it may be extended
  function tick() {
    $("state-time").textContent = CC.duration((Date.now() - since) / 1000);
    $("wrapup-left").hidden = !wrapUntil;
    if (wrapUntil) $("wrapup-left").textContent = CC.duration((wrapUntil - Date.now()) / 1000);
  }
  setInterval(tick, 1000);

  function clearPop() {
    pop = null; held = false;
    $("call").hidden = true; $("no-call").hidden = false; $("pop").classList.remove("is-vip");
    for (const id of ["bills", "tickets", "contacts"]) CC.fill($(id), [], id === "contacts" ? 4 : 5);
  }

  function showPop(p) {
    pop = p;
    const call = p.call, c = p.customer;
    $("no-call").hidden = true; $("call").hidden = false;
    held = call.state === "held";
    $("call-state").textContent = t[call.state] || call.state;
    $("call-state").className = "pill " + call.state;
    $("caller-number").textContent = call.caller_number;
    $("customer-name").textContent = c ? c.name : t.unknown;
    $("customer-tier").textContent = c ? (t[c.tier] || c.tier) : "—";
    $("customer-accounts").textContent = c ? c.accounts.map(a => a.number + " (" + a.plan + ")").join(", ") : "—";
    $("vip").hidden = !(c && c.vip); $("vip").textContent = c ? (t[c.tier] || c.tier) : "";
    $("pop").classList.toggle("is-vip", !!(c && c.vip));
    $("call-queue").textContent = [call.queue, call.need].filter(Boolean).join(" / ") || "—";
    $("routing-reason").textContent = call.routing_reason || "—";
    $("transfer-note").textContent = call.transferred_note || "—";
    $("ivr-path").replaceChildren(...call.ivr_path.map(step => {
      const li = CC.el("li", step.label || step.node);
      if (step.masked) li.append(" ", CC.el("span", t.masked, "muted"));
      else if (step.entered) li.append(" ", CC.el("span", step.entered, "entered"));
      return li;
    }));
    CC.fill($("bills"), p.bills.map(b => CC.row([b.period, cell(CC.money(b.amount_due_cents)),
      cell(CC.money(b.amount_paid_cents)), cell(CC.money(b.balance_cents)), t["bill." + b.status] || b.status], b.status)), 5);
    CC.fill($("tickets"), p.tickets.map(x => CC.row([x.number, t[x.category] || x.category, t["ticket." + x.status] || x.status, x.subject,
      CC.when(x.answer_back_deadline)])), 5);
    CC.fill($("contacts"), p.contacts.map(x => CC.row([CC.when(x.at),
      x.need || "", x.agent || "", x.abandoned ? t.abandoned : (t["disp." + x.disposition] || x.disposition || "")])), 4);
    $("hold-label").textContent = held ? t.unhold : t.hold;
  }
  function cell(text) { return CC.el("td", text, "num"); }

  async function act(fn) { try { await fn(); } catch (e) { CC.say(e.message, true); } }
  async function refresh() {
    const d = await CC.call("GET", "/api/v1/desk");
    if (stale(d)) return;  // overtaken by a newer state
    if (d.call) showPop(d.call); else if (d.state !== "wrapup") clearPop();  // keep the pop to wrap up
    showState(d);
    CC.phone($("phone"), d.phone);
  }
  const callUrl = verb => "/api/v1/desk/calls/" + encodeURIComponent(pop.call.uuid) + "/" + verb;

  const ready = () => act(async () => showState(await CC.call("POST", "/api/v1/desk/state", {state: "ready"})));
  const notReady = () => act(async () => showState(await CC.call("POST", "/api/v1/desk/state", {state: "not_ready", reason: $("reason").value})));
  const hold = () => pop && state === "on_call" && act(async () => {
    await CC.call("POST", callUrl("hold"), {held: !held}); await refresh(); });
  const hangup = () => pop && state === "on_call" && act(async () => { await CC.call("POST", callUrl("hangup"), {}); await refresh(); });
  $("btn-ready").onclick = ready; $("btn-not-ready").onclick = notReady;
  $("btn-hold").onclick = hold; $("btn-hangup").onclick = hangup;
  document.addEventListener("keydown", e => {
    const keys = {F2: ready, F3: notReady, F4: hold, F9: hangup};
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });

  const target = f => ({need: f.need.value || null, agent_id: f.agent_id.value || null});
  $("transfer-form").onsubmit = e => { e.preventDefault(); const f = e.target;
    act(async () => { await CC.call("POST", callUrl("transfer"), {...target(f), note: f.note.value}); await refresh(); }); };
  $("btn-consult").onclick = () => act(async () => { await CC.call("POST", callUrl("consult"), target($("transfer-form"))); await refresh(); });

  $("ticket-form").onsubmit = e => { e.preventDefault(); const f = e.target;
    act(async () => {
      const ticket = await CC.call("POST", "/api/v1/tickets", {category: f.category.value,
        detail: f.detail ? f.detail.value : null, description: f.description.value, customer_id: pop && pop.customer ? pop.customer.id : null,
        call_uuid: pop ? pop.call.uuid : null});
      CC.say(t.created + " " + ticket.number); f.description.value = "";
      $("note-ticket").value = ticket.number;
      if (pop) { pop.tickets.unshift(ticket); showPop(pop); }
    }); };
  $("note-form").onsubmit = e => { e.preventDefault(); const f = e.target;
    act(async () => { await CC.call("POST", "/api/v1/tickets/" + encodeURIComponent(f.number.value) + "/notes", {note: f.note.value});
      CC.say(t.noted); f.note.value = ""; }); };
  $("btn-extend").onclick = () => act(async () => {
    showState(await CC.call("POST", "/api/v1/desk/wrapup/extend", {})); CC.say(t.extended); });
  $("wrapup-form").onsubmit = e => { e.preventDefault(); const f = e.target;
    act(async () => {
      await CC.call("POST", "/api/v1/desk/calls/" + encodeURIComponent(wrapUuid) + "/wrapup",
        {disposition: f.disposition.value, notes: f.notes.value, callback_at: f.callback_at.value || null});
      CC.say(t.wrapped); f.reset(); wrapUuid = null; clearPop(); await refresh(); }); };

  CC.stream("/events/desk", {
    agent_state: s => showState(s),
    phone_state: d => CC.phone($("phone"), d.phone),
    pending_state: d => { showPending(d.pending_reason); showState({state, since: since.toISOString()}); },
    call_offered: p => { showPop(p); },
    call_connected: p => { showPop(p); },
    call_held: d => { if (pop) { held = d.held; pop.call.state = held ? "held" : "bridged"; showPop(pop); } },
    call_ended: () => refresh(),
  });
  act(refresh);
})();
