/* The sample tenant page: gets a widget token from its own backend, opens the SDK, and
 * logs every callback beside every webhook its backend receives. */
(function () {
  "use strict";

  var logList = document.getElementById("log");

  function time(iso) {
    return (iso ? new Date(iso) : new Date()).toLocaleTimeString();
  }

  function entry(kind, name, detail, options) {
    options = options || {};
    var item = document.createElement("li");
    item.className = "entry " + kind + (options.bad ? " bad" : "");
    var head = document.createElement("div");
    head.className = "head";
    var badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = kind;
    var title = document.createElement("strong");
    title.textContent = name;
    var when = document.createElement("time");
    when.textContent = time(options.at);
    head.appendChild(badge);
    head.appendChild(title);
    if (options.note) {
      var note = document.createElement("span");
      note.className = "note";
      note.textContent = options.note;
      head.appendChild(note);
    }
    head.appendChild(when);
    item.appendChild(head);
    if (detail !== undefined) {
      var body = document.createElement("pre");
      body.textContent = JSON.stringify(detail, null, 2);
      item.appendChild(body);
    }
    logList.insertBefore(item, logList.firstChild);
  }

  function callback(name) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      entry("callback", name + "(" + (args.length ? "…" : "") + ")", args.length ? args[0] : undefined);
      if (name === "onAccountConnected" || name === "onAccountRemoved" || name === "onClose") refreshRecords();
    };
  }

  function open(newUser) {
    fetch("/api/token" + (newUser ? "?newUser=1" : ""), { method: "POST" })
      .then(function (response) {
        if (!response.ok) throw new Error("the demo backend answered " + response.status);
        return response.json();
      })
      .then(function (data) {
        var userToken = data.userToken;
        entry("backend", "POST /v1/users or /v1/tokens", { userId: data.userId, expiresAt: data.expiresAt });
        // Exactly as a tenant embeds the Smile SDK.
        new SmileLinkModal({
          userToken: userToken,
          enableUpload: true,
          onAccountCreated: callback("onAccountCreated"),
          onAccountConnected: callback("onAccountConnected"),
          onAccountRemoved: callback("onAccountRemoved"),
          onAccountError: callback("onAccountError"),
          onUploadsCreated: callback("onUploadsCreated"),
          onUploadsRemoved: callback("onUploadsRemoved"),
          onTokenExpired: callback("onTokenExpired"),
          onClose: callback("onClose"),
          onUIEvent: callback("onUIEvent"),
        }).open();
      })
      .catch(function (error) {
        entry("backend", "could not get a token", { error: String(error) }, { bad: true });
      });
  }

  function refreshRecords() {
    fetch("/api/records")
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        var box = document.getElementById("records");
        box.textContent = "";
        if (!data.userId) {
          box.textContent = "No user yet. Connect an account to start.";
          return;
        }
        var user = document.createElement("p");
        user.textContent = "User " + data.userId;
        box.appendChild(user);
        var list = document.createElement("ul");
        data.accounts.forEach(function (a) {
          var li = document.createElement("li");
          li.textContent = a.providerId + " · " + a.connectionStatus + " · monitor " + a.monitorStatus;
          list.appendChild(li);
        });
        if (!data.accounts.length) {
          var none = document.createElement("li");
          none.textContent = "no accounts yet";
          list.appendChild(none);
        }
        box.appendChild(list);
        var counts = Object.keys(data.counts)
          .filter(function (k) {
            return data.counts[k] !== "0";
          })
          .map(function (k) {
            return k + " " + data.counts[k];
          });
        var summary = document.createElement("p");
        summary.textContent = counts.length ? "Data points: " + counts.join(", ") : "No data points yet.";
        box.appendChild(summary);
      });
  }

  var webhooks = new EventSource("/api/webhooks");
  webhooks.addEventListener("webhook", function (event) {
    var hook = JSON.parse(event.data);
    entry("webhook", hook.type || "(not JSON)", hook.data, {
      at: hook.at,
      bad: !hook.verified,
      note: hook.verified ? "signature ✓" : "signature ✗ refused",
    });
    if (/^(TASK_FINISHED|ACCOUNT_)/.test(hook.type || "")) refreshRecords();
  });

  document.getElementById("connect").addEventListener("click", function () {
    open(false);
  });
  document.getElementById("new-user").addEventListener("click", function () {
    open(true);
  });
  refreshRecords();
})();
