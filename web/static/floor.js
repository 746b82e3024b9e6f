"use strict";
// The supervisor floor: renders the snapshots /events/floor pushes.
(() => {
  const $ = id => document.getElementById(id);
  const t = CC.t;
  const actions = document.getElementById("agent-actions");

  function num(text, cls) { return CC.el("td", text, "num" + (cls ? " " + cls : "")); }
  function slCell(text, q) {  // the queue's own threshold (queues file), shown on hover
    const td = num(text); td.title = (t["sl.within"] || "answered within {s} s").replace("{s}", q.service_level_seconds);
    return td;
  }
  function queueCell(q) {  // the display name, with the key the queues file uses
    const td = CC.el("td", q.display_name || q.name);
    if (q.display_name && q.display_name !== q.name) td.appendChild(CC.el("small", " " + q.name, "muted"));
    return td;
  }
  function render(board) {
    $("updated").textContent = board.at.slice(11, 19);
    $("by-state").replaceChildren(...Object.entries(board.agents_by_state).map(([s, n]) =>
      CC.el("span", (t[s] || s) + " " + n, "pill " + s)));
    CC.fill($("queues").tBodies[0], board.queues.map(q => CC.row([queueCell(q), num(q.waiting, q.waiting ? "warn" : ""),
      num(CC.duration(q.longest_wait), q.longest_wait > q.service_level_seconds ? "bad" : ""),
      slCell(q.service_level_today, q), slCell(q.service_level_30min, q), num(q.offered), num(q.abandoned), num(q.asa), num(q.aht)])), 9);
    renderAgents(board.agents);
    $("alerts").replaceChildren(...(board.alerts || []).map(a => {
      const p = CC.el("p", a.text, "flash error alert"); p.dataset.kind = a.kind; return p;
    }));
    const queueName = Object.fromEntries(board.queues.map(q => [q.name, q.display_name || q.name]));
    CC.fill($("waiting").tBodies[0], (board.waiting || []).map(w => {
      const flags = [w.vip ? "VIP " + w.tier.slice(3) : "", w.transferred ? t.transferred : "",
                     w.callback ? t.callback : ""].filter(Boolean).join(" · ");
      const tr = CC.row([w.caller_number, w.queue_name, num(CC.duration(w.waited)), flags, w.why]);
      tr.dataset.call = w.uuid; if (w.vip) tr.className = "vip"; return tr;
    }), 5);
    CC.fill($("calls").tBodies[0], board.calls.map(c => {
      const tr = CC.row([c.caller_number, queueName[c.queue] || c.queue || "", t[c.state] || c.state, c.agent || "", c.routing_reason]);
      tr.dataset.call = c.uuid; return tr;
    }), 5);
  }
  // Agent rows are kept and updated in place, so a button is never replaced
  // under the pointer between mouse-down and mouse-up (the click would be lost).
  function renderAgents(agents) {
    const body = $("agents").tBodies[0], seen = new Set();
    for (const a of agents) {
      seen.add(String(a.id));
      let tr = body.querySelector(`tr[data-agent="${a.id}"]`);
      if (!tr) {
        const tools = CC.el("td"); tools.append(actions.content.cloneNode(true));
        tools.dataset.agent = a.id;
        const phone = CC.el("td"); phone.append(CC.el("span", "", "pill phone"));
        tr = CC.row([CC.el("td"), CC.el("td"), phone, num(""), num(""), tools]);
        tr.dataset.agent = a.id;
        body.appendChild(tr);
      }
      const cells = tr.children;
      cells[0].textContent = a.name + " (" + a.login + ")";
      cells[1].textContent = (t[a.state] || a.state) + (a.reason ? " · " + a.reason : "")
        + (a.pending_reason ? " → " + (t.not_ready || "Not ready") + " · " + a.pending_reason : "");
      cells[1].className = "state-" + a.state;
      CC.phone(cells[2].firstChild, a.phone);
      cells[3].textContent = CC.duration(a.seconds_in_state);
      cells[4].textContent = a.handled_today;
      for (const b of cells[5].querySelectorAll("button.spy")) b.disabled = !a.call_uuid;
    }
    for (const tr of [...body.children]) if (!seen.has(tr.dataset.agent)) tr.remove();
  }
  $("agents").addEventListener("click", async e => {
    const button = e.target.closest("button"); if (!button) return;
    const cell = button.closest("td"), agent = cell.dataset.agent;
    try {
      if (button.classList.contains("force")) {
        await CC.call("POST", `/api/v1/floor/agents/${agent}/state`,
          {state: button.dataset.state, reason: cell.querySelector(".force-reason").value});
        CC.say(t.forced);
      } else if (button.classList.contains("spy")) {
        await CC.call("POST", `/api/v1/floor/agents/${agent}/eavesdrop`, {mode: button.dataset.mode});
        CC.say(t[button.dataset.mode]);
      }
    } catch (err) { CC.say(err.message, true); }
  });
  CC.stream("/events/floor", {floor: render});
})();
