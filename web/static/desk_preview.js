"use strict";
// The desk's preview card (preview campaigns): the contact reserved for this agent, Call or Skip.
(() => {
  const $ = id => document.getElementById(id);
  const t = Object.assign({}, CC.t, JSON.parse($("i18n-preview").textContent));
  let card = null, busy = false, until = null;

  function show(next) {
    const same = card && next && card.contact_id === next.contact_id;
    card = next;
    until = card && card.seconds_left != null ? Date.now() + card.seconds_left * 1000 : null;
    $("preview").hidden = !card;
    if (!card || same) return;
    $("preview-campaign").textContent = card.campaign.name;
    $("preview-name").textContent = card.name || (card.customer && card.customer.name) || "—";
    $("preview-phone").textContent = card.phone;
    $("preview-amount").textContent = card.amount_cents == null ? "—" : CC.money(card.amount_cents);
    $("preview-due").textContent = card.due_date || "—";
    $("preview-script").textContent = card.campaign.script || "—";
    CC.fill($("preview-bills"), card.bills.map(b => CC.row([b.period, CC.money(b.balance_cents), b.due_date,
      t["bill." + b.status] || b.status])), 4);
    CC.fill($("preview-attempts"), card.attempts.map(a => CC.row([CC.when(a.at), a.outcome || "…", a.cause || ""])), 3);
    CC.fill($("preview-tickets"), card.tickets.map(k => CC.row([k.number, t[k.category] || k.category,
      t["ticket." + k.status] || k.status])), 3);
    const reasons = $("preview-reason");
    reasons.replaceChildren(new Option("—", ""), ...card.skip_reasons.map(r => new Option(t["skip." + r.code] || r.label, r.code)));
    tick();
  }

  function tick() {
    if (!card || until === null) return;
    $("preview-left").textContent = CC.duration((until - Date.now()) / 1000);
  }

  async function poll() {
    if (busy) return;
    try { show((await CC.call("GET", "/api/v1/desk/preview")).card); } catch (e) { /* next poll */ }
  }

  async function act(what, body) {
    if (!card || busy) return;
    busy = true;
    try {
      const done = await CC.call("POST", `/api/v1/desk/preview/${card.contact_id}/${what}`, body);
      CC.say(what === "call" ? t.called : (done.status === "skipped" ? t.skipped : t.rescheduled));
      show(null);
    } catch (e) { CC.say(e.message, true); show(null); }
    finally { busy = false; poll(); }
  }

  $("btn-preview-call").addEventListener("click", () => act("call"));
  $("preview-form").addEventListener("submit", e => {
    e.preventDefault();
    const reason = $("preview-reason").value;
    if (!reason) { CC.say(t.need_reason, true); return; }
    act("skip", {reason});
  });
  poll();
  setInterval(poll, 2000);
  setInterval(tick, 1000);
})();
