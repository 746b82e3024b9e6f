"use strict";
// The QA player: the <audio> element streams the recording (HTTP range requests);
// Web Audio splits its two channels (left: caller, right: agent) so each can be
// muted; speed; the call's timeline with seekable marks and paused (masked) spans;
// "comment at the current moment" for the score form.
(function () {
  const audio = document.getElementById("audio");
  if (!audio) return;
  const data = JSON.parse(document.getElementById("timeline-data").textContent);
  const gains = [];
  let graph = null;

  function clock(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function buildGraph() {  // on the first play: browsers only start audio after a gesture
    if (graph || !window.AudioContext) return;
    const context = new AudioContext();
    const source = context.createMediaElementSource(audio);
    const splitter = context.createChannelSplitter(2);
    const merger = context.createChannelMerger(2);
    source.connect(splitter);
    for (const channel of [0, 1]) {
      const gain = context.createGain();
      splitter.connect(gain, channel);
      gain.connect(merger, 0, channel);
      gains.push(gain);
    }
    merger.connect(context.destination);
    graph = context;
    applyMutes();
  }

  function applyMutes() {
    const muted = [document.getElementById("mute-left").checked,
                   document.getElementById("mute-right").checked];
    gains.forEach((gain, i) => { gain.gain.value = muted[i] ? 0 : 1; });
  }

  function durationMs() {
    return isFinite(audio.duration) && audio.duration > 0 ? audio.duration * 1000
      : Number(document.getElementById("player").dataset.durationMs) || 0;
  }

  function seek(ms) {
    audio.currentTime = Math.max(0, ms) / 1000;
  }

  function drawTimeline() {
    const bar = document.getElementById("timeline");
    const total = durationMs();
    bar.textContent = "";
    if (!total) return;
    for (const span of data.masked) {
      const el = document.createElement("div");
      el.className = "masked-span";
      el.style.left = (100 * span.start_ms / total) + "%";
      el.style.width = (100 * (span.end_ms - span.start_ms) / total) + "%";
      el.title = clock(span.start_ms) + "–" + clock(span.end_ms);
      bar.appendChild(el);
    }
    for (const event of data.events) {
      if (event.at_ms < 0 || event.at_ms > total) continue;
      const mark = document.createElement("button");
      mark.type = "button";
      mark.className = "mark mark-" + event.kind;
      mark.style.left = (100 * event.at_ms / total) + "%";
      mark.title = event.label + " " + clock(event.at_ms);
      mark.setAttribute("aria-label", mark.title);
      mark.addEventListener("click", () => seek(event.at_ms));
      bar.appendChild(mark);
    }
    const head = document.createElement("div");
    head.className = "playhead";
    head.id = "playhead";
    bar.appendChild(head);
  }

  audio.addEventListener("play", buildGraph);
  audio.addEventListener("loadedmetadata", drawTimeline);
  audio.addEventListener("timeupdate", () => {
    document.getElementById("position").textContent = clock(audio.currentTime * 1000);
    const head = document.getElementById("playhead");
    if (head && durationMs()) head.style.left = (100 * audio.currentTime * 1000 / durationMs()) + "%";
  });
  document.getElementById("mute-left").addEventListener("change", applyMutes);
  document.getElementById("mute-right").addEventListener("change", applyMutes);
  document.getElementById("speed").addEventListener("change", event => {
    audio.playbackRate = Number(event.target.value);
  });
  document.querySelectorAll("button.seek").forEach(button => {
    button.addEventListener("click", () => seek(Number(button.dataset.atMs)));
  });
  document.getElementById("timeline").addEventListener("click", event => {
    if (event.target.id !== "timeline" || !durationMs()) return;
    const box = event.currentTarget.getBoundingClientRect();
    seek(durationMs() * (event.clientX - box.left) / box.width);
  });

  const add = document.getElementById("add-moment");
  if (add) {
    add.addEventListener("click", () => {
      const row = document.getElementById("moment-template").content.firstElementChild.cloneNode(true);
      const at = Math.round(audio.currentTime * 1000);
      row.querySelector("input[name=moment_at_ms]").value = at;
      row.querySelector(".moment-at").textContent = clock(at);
      document.getElementById("moments").appendChild(row);
      row.querySelector("input[name=moment_text]").focus();
    });
  }
  drawTimeline();
})();
