"use strict";
// The desk's "Pause recording" button (issue 13): the agent pauses the recording of
// their own call while the customer reads out a card number, then resumes it. The
// state comes from /api/v1/desk/pause whenever the desk's state pill changes.
(() => {
  const button = document.getElementById("btn-pause-rec");
  const pill = document.getElementById("state");
  if (!button || !pill) return;
  const label = document.getElementById("pause-rec-label");
  let current = {call_uuid: null, recorded: false, paused: false};

  function show(s) {
    current = s;
    button.disabled = !(s.call_uuid && s.recorded);
    button.classList.toggle("paused", !!s.paused);
    button.setAttribute("aria-pressed", s.paused ? "true" : "false");
    label.textContent = s.paused ? button.dataset.resume : button.dataset.pause;
  }
  async function refresh() {
    try { show(await CC.call("GET", "/api/v1/desk/pause")); } catch (e) { /* the desk shows the connection */ }
  }
  button.addEventListener("click", async () => {
    if (!current.call_uuid) return;
    try {
      await CC.call("POST", "/api/v1/desk/calls/" + encodeURIComponent(current.call_uuid) + "/pause",
                    {paused: !current.paused});
    } catch (e) { CC.say(e.message, true); }
    await refresh();
  });
  new MutationObserver(refresh).observe(pill, {attributes: true, attributeFilter: ["class"]});
  refresh();
})();
