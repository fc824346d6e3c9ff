// The staff's phone simulator: sends as a resident through POST /api/v1/channels/simulator/messages
// and shows the replies; the phone's later messages (updates on its reports) are read every 10 s.
(function () {
  "use strict";
  const gettext = window.gettext || ((text) => text);
  const screen = document.getElementById("sim-screen");
  const errorLine = document.getElementById("sim-error");
  const sender = document.getElementById("sim-from");
  const channel = document.getElementById("sim-channel");
  let shownUpdates = 0;

  function bubble(text, direction, ended) {
    const item = document.createElement("div");
    item.className = "bubble " + direction + (ended ? " ended" : "");
    item.textContent = text;
    screen.appendChild(item);
    screen.scrollTop = screen.scrollHeight;
  }

  async function send(body, shown) {
    errorLine.textContent = "";
    bubble(shown, "in", false);
    const result = await Imbizo.api("/api/v1/channels/simulator/messages", {
      method: "POST", json: Object.assign({ from: sender.value, channel: channel.value }, body),
    });
    if (!result.ok) {
      errorLine.textContent = Imbizo.errorText(result, gettext("The message could not be sent."));
      return;
    }
    result.body.replies.forEach((reply) => bubble(reply, "out", false));
    if (result.body.finished && channel.value === "ussd") bubble(gettext("(session ended)"), "out", true);
  }

  document.getElementById("sim-compose").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("sim-text");
    const text = input.value;
    input.value = "";
    send({ text }, text || gettext("(empty message)"));
  });

  document.getElementById("sim-location").addEventListener("submit", (event) => {
    event.preventDefault();
    const latitude = parseFloat(document.getElementById("sim-lat").value);
    const longitude = parseFloat(document.getElementById("sim-lon").value);
    send({ latitude, longitude }, "📍 " + latitude + ", " + longitude);
  });

  async function updates() {
    const result = await Imbizo.api("/api/v1/channels/simulator/messages?phone=" + encodeURIComponent(sender.value));
    if (!result.ok) return;
    const later = result.body.messages.filter((message) => message.direction === "out" && message.update);
    later.slice(shownUpdates).forEach((message) => bubble(message.text, "out", false));
    shownUpdates = later.length;
  }
  sender.addEventListener("change", () => { shownUpdates = 0; screen.textContent = ""; });
  setInterval(updates, 10000);
})();
