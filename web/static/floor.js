"use strict";
// The supervisor floor: renders the snapshots /events/floor pushes.
(() => {
  const $ = id => document.getElementById(id);
  const t = CC.t;
  const actions = document.getElementById("agent-actions");

  function num(text, cls) { return CC.el("td", text, "num" + (cls ? " " + cls : "")); }
  function render(board) {
    $("updated").textContent = board.at.slice(11, 19);
    $("by-state").replaceChildren(...Object.entries(board.agents_by_state).map(([s, n]) =>
      CC.el("span", (t[s] || s) + " " + n, "pill " + s)));
    CC.fill($("queues").tBodies[0], board.queues.map(q => CC.row([q.name, num(q.waiting, q.waiting ? "warn" : ""),
      num(CC.duration(q.longest_wait), q.longest_wait > 20 ? "bad" : ""), num(q.service_level_today),
      num(q.service_level_30min), num(q.offered), num(q.abandoned), num(q.asa), num(q.aht)])), 9);
    CC.fill($("agents").tBodies[0], board.agents.map(a => {
      const tools = CC.el("td"); tools.append(actions.content.cloneNode(true));
      for (const b of tools.querySelectorAll("button.spy")) b.disabled = !a.call_uuid;
      tools.dataset.agent = a.id;
      const tr = CC.row([a.name + " (" + a.login + ")",
        CC.el("td", (t[a.state] || a.state) + (a.reason ? " · " + a.reason : ""), ""),
        num(CC.duration(a.seconds_in_state)), num(a.handled_today), tools]);
      tr.dataset.agent = a.id; tr.firstChild.nextSibling.className = "state-" + a.state;
      return tr;
    }), 5);
    CC.fill($("calls").tBodies[0], board.calls.map(c => {
      const tr = CC.row([c.caller_number, c.queue || "", t[c.state] || c.state, c.agent || "", c.routing_reason]);
      tr.dataset.call = c.uuid; return tr;
    }), 5);
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
