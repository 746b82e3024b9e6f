"use strict";
// The menu's unread-message count (ticket deadlines near or passed), polled every 30 s.
(function () {
  const badge = document.getElementById("notice-count");
  if (!badge) return;
  async function poll() {
    try {
      const response = await fetch("/api/v1/notifications?unread=1", {credentials: "same-origin"});
      if (!response.ok) return;
      const data = await response.json();
      badge.textContent = data.unread;
      badge.hidden = !data.unread;
    } catch (e) { /* offline for a moment: the next poll tries again */ }
  }
  setInterval(poll, 30000);
})();
