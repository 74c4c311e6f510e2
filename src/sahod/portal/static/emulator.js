/* The widget emulator: opens the real widget (the SDK, /v2/smile.v2.js) for the page's
 * sandbox user, and logs every SDK callback and every event Sahod writes for that user
 * (polling the portal, same origin), with where its webhook deliveries stand.
 * Plain JS, no inline script (the portal's CSP allows none); text only through
 * textContent. */
(function () {
  "use strict";
  var root = document.getElementById("emulator");
  if (!root || !window.SmileLinkModal) return;
  var userId = root.getAttribute("data-user-id");
  var csrf = root.getAttribute("data-csrf");
  var after = Number(root.getAttribute("data-after")) || 0;
  var base = "/portal/emulator/" + encodeURIComponent(userId);
  var log = document.getElementById("emulator-log");
  var empty = document.getElementById("emulator-log-empty");
  var openButton = document.getElementById("open-widget");
  var status = document.getElementById("emulator-status");
  var POLL_MS = 1000;
  var CALLBACKS = [
    "onAccountCreated",
    "onAccountConnected",
    "onAccountRemoved",
    "onAccountError",
    "onTokenExpired",
    "onClose",
    "onUIEvent",
  ];
  var pending = {}; // event id -> its entry, while a delivery of it is still PENDING
  var shown = {}; // event id -> its entry: the feed sends recent events more than once
  var modal = null;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clock(date) {
    return date.toTimeString().slice(0, 8);
  }

  function entry(kind, name, when, detail) {
    if (empty) empty.hidden = true;
    var item = element("li", "log-entry log-" + kind);
    item.setAttribute("data-kind", kind);
    item.setAttribute("data-name", name);
    item.appendChild(element("span", "log-when", clock(when)));
    item.appendChild(element("span", "badge log-kind", kind === "callback" ? "SDK callback" : "event"));
    item.appendChild(element("strong", "log-name", name));
    var details = element("details");
    details.appendChild(element("summary", "", kind === "callback" ? "arguments" : "webhook body"));
    details.appendChild(element("pre", "", JSON.stringify(detail, null, 2)));
    item.appendChild(details);
    log.insertBefore(item, log.firstChild);
    return item;
  }

  function describe(deliveries) {
    if (!deliveries || deliveries.length === 0) return "no webhook subscription takes this event";
    return deliveries
      .map(function (d) {
        var last = d.attempts.length ? d.attempts[d.attempts.length - 1] : null;
        var answer = last && last.statusCode ? " (" + last.statusCode + ")" : "";
        var tries = d.attemptCount + " attempt" + (d.attemptCount === 1 ? "" : "s");
        if (d.status === "PENDING") {
          return d.attemptCount ? "webhook retrying" + answer + " after " + tries : "webhook queued";
        }
        var word = d.status === "SUCCEEDED" ? "delivered" : "failed";
        return "webhook " + word + answer + " after " + tries;
      })
      .join("; ");
  }

  function showDeliveries(item, eventId, deliveries) {
    var line = item.querySelector(".log-deliveries");
    if (!line) {
      line = element("span", "log-deliveries");
      item.insertBefore(line, item.querySelector("details"));
    }
    line.textContent = describe(deliveries);
    var stillPending = (deliveries || []).some(function (d) {
      return d.status === "PENDING";
    });
    item.setAttribute("data-delivery", stillPending ? "pending" : (deliveries || []).length ? "done" : "none");
    if (stillPending) pending[eventId] = item;
    else delete pending[eventId];
  }

  function json(answer) {
    // A signed-out session is redirected to the sign-in page, which is no JSON.
    if (answer.redirected && /\/portal\/sign-in/.test(answer.url)) {
      throw new Error("you are signed out: reload the page to sign in again");
    }
    if (!answer.ok || !/json/.test(answer.headers.get("content-type") || "")) {
      throw new Error("the portal answered " + answer.status);
    }
    return answer.json();
  }

  function poll() {
    var query = "?after=" + after;
    var refresh = Object.keys(pending).slice(0, 100);
    if (refresh.length) query += "&refresh=" + encodeURIComponent(refresh.join(","));
    fetch(base + "/events" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(json)
      .then(function (feed) {
        feed.items.forEach(function (item) {
          var event = item.event;
          var row = shown[event.id];
          if (!row) {
            row = entry("event", event.type, new Date(event.createdAt), event);
            row.setAttribute("data-event-id", event.id);
            shown[event.id] = row;
          }
          showDeliveries(row, event.id, feed.deliveries[event.id]);
        });
        Object.keys(pending).forEach(function (id) {
          if (feed.deliveries[id]) showDeliveries(pending[id], id, feed.deliveries[id]);
        });
        after = feed.after;
        status.textContent = "";
      })
      .catch(function (error) {
        status.textContent = "Could not read the events: " + error.message + ".";
      })
      .then(function () {
        // A tab in the background asks less often.
        setTimeout(poll, document.hidden ? POLL_MS * 5 : POLL_MS);
      });
  }

  function options(token) {
    var opened = { userToken: token };
    CALLBACKS.forEach(function (name) {
      opened[name] = function (argument) {
        entry("callback", name, new Date(), argument === undefined ? null : argument);
        if (name === "onClose") {
          modal = null;
          openButton.disabled = false;
        }
      };
    });
    return opened;
  }

  openButton.addEventListener("click", function () {
    if (modal) return;
    openButton.disabled = true;
    status.textContent = "";
    // Each opening spends a link token: a fresh one every time, as a tenant's backend does.
    fetch(base + "/token", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ csrf: csrf }).toString(),
    })
      .then(json)
      .then(function (token) {
        modal = new window.SmileLinkModal(options(token.userToken));
        modal.open();
      })
      .catch(function (error) {
        openButton.disabled = false;
        status.textContent = "Could not open the widget: " + error.message + ".";
      });
  });

  poll();
})();
