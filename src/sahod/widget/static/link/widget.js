/* The Sahod widget: consent, providers, sign-in, one-time code, live progress, success,
 * errors, the user's connected accounts, and (with enableUpload) document uploads. It calls the Link API (/link/v1) with the
 * user's token as Bearer, and tells the SDK in the host page what happened by postMessage,
 * only ever to the host origin the SDK declared. Plain JS, no build step. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var MAX_SYNC_WAIT_MS = 60000;

  // --- The token and the host page: from the URL fragment, which no server ever sees ---
  var fragment = new URLSearchParams(location.hash.slice(1));
  var token = fragment.get("token");
  var hostOrigin = fragment.get("origin");
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  var embedded = window.parent !== window;

  var state = {
    userId: null,
    mode: null,
    providers: [],
    accounts: [],
    provider: null, // the provider being connected
    reauth: null, // the account being reconnected, if any
    account: null, // the account being followed
    mfaSeenAt: null, // connection.updatedAt of the code request already handled
    fired: {},
    connectedAt: 0,
    page: null,
    expired: false,
    follower: null,
    enableUpload: false,
    fileTypes: null, // GET /link/v1/fileTypes, once
    fileType: null, // the document type being uploaded
    uploads: [], // {key, names, archive, upload, error} shown on the upload page
  };

  // The 16 error codes in plain words ({p}: the portal's name).
  var ERRORS = {
    ACCOUNT_DISABLED: ["This account is deactivated", "{p} says this account has been deactivated. Contact the agency to reactivate it, then try again."],
    ACCOUNT_INACCESSIBLE: ["This account can't be opened", "{p} says this account can't be accessed right now. It may be restricted; check with the agency, then try again."],
    ACCOUNT_INCOMPLETE: ["Your registration isn't finished", "Your online registration on {p} is not complete. Sign in on the portal, finish it, then try again."],
    ACCOUNT_LOCKED: ["Your account is locked", "{p} has locked this account, usually after too many sign-in attempts. Unlock it on the portal, then try again."],
    AUTH_REQUIRED: ["User ID and password needed", "{p} needs both your user ID and your password. Enter them and try again."],
    EXPIRED_CREDENTIALS: ["Your password has expired", "{p} says your password has expired. Change it on the portal, then connect with the new one."],
    INVALID_ACCOUNT_TYPE: ["This isn't a member account", "This looks like an employer or another kind of account. Sign in with your own member account."],
    INVALID_AUTH: ["Signing in didn't work", "We could not complete the sign-in to {p} this time. Please try again."],
    INVALID_CREDENTIALS: ["Wrong user ID or password", "{p} did not accept that user ID or password. Check them and try again."],
    INVALID_MFA: ["The code was not accepted", "The one-time code was wrong too many times. Start again to get a new code."],
    MFA_TIMEOUT: ["The code expired", "The one-time code expired before it was entered. Start again and enter the new code when it arrives."],
    SERVICE_UNAVAILABLE: ["The portal is unavailable", "{p} is down or under maintenance right now. Please try again later."],
    SYSTEM_ERROR: ["We couldn't read the portal", "{p} showed pages we could not read. Please try again later."],
    TOS_REQUIRED: ["Terms need your approval", "{p} wants you to accept its terms first. Sign in on the portal, accept them, then try again."],
    UNSUPPORTED_AUTH_TYPE: ["Sign-in method not supported", "{p} asked for a sign-in method we can't use yet, such as an app or a QR code."],
    UNSUPPORTED_MFA_METHOD: ["Verification method not supported", "{p} asked you to verify in a way we can't use yet, such as approving on your phone."],
    DISCONNECTED: ["Access was removed", "Access to this account was removed, so the connection stopped."],
    NETWORK: ["We couldn't reach Sahod", "Check your internet connection, then try again."],
  };

  function $(id) {
    return document.getElementById(id);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function providerOf(id) {
    for (var i = 0; i < state.providers.length; i++) {
      if (state.providers[i].id === id) return state.providers[i];
    }
    return { id: id, name: id, longName: "", logoUrl: "", loginLabel: "User ID", loginKind: "email" };
  }

  function logo(provider) {
    // The server's own logos, on this origin whatever public URL it was configured with.
    try {
      return new URL(provider.logoUrl, location.href).pathname;
    } catch (e) {
      return "";
    }
  }

  // --- Talking to the SDK ------------------------------------------------------------------

  function post(message) {
    if (!embedded || !hostOrigin) return;
    message.source = "sahod-link";
    window.parent.postMessage(message, hostOrigin);
  }

  function ids(account) {
    return { accountId: account.id, userId: account.userId, providerId: account.providerId };
  }

  function callback(name, payload) {
    post({ type: "callback", name: name, payload: payload });
  }

  function archiveIds(archive) {
    return {
      archiveId: archive.id,
      userId: archive.userId,
      providerId: archive.providerId,
      type: archive.type,
      status: archive.state.status,
    };
  }

  function uiEvent(eventName, account, archive) {
    callback("onUIEvent", {
      eventName: eventName,
      eventTime: new Date().toISOString(),
      mode: state.mode,
      userId: state.userId,
      account: account ? ids(account) : null,
      archive: archive ? archiveIds(archive) : null,
    });
  }

  function closeWidget(reason) {
    stopFollowing();
    if (embedded && hostOrigin) {
      post({ type: "close", reason: reason });
    } else {
      showFatal("You can close this window now.", false);
    }
  }


  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== hostOrigin) return;
    var data = event.data;
    if (data && data.source === "sahod-sdk" && data.type === "init") {
      // templateId and enableSampleModel are accepted for compatibility; one look for all.
      state.templateId = data.templateId || null;
      state.enableUpload = data.enableUpload === true;
      $("upload-offer").hidden = !state.enableUpload;
    }
  });

  // --- The Link API ------------------------------------------------------------------------

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  function api(method, path, body) {
    var init = {
      method: method,
      cache: "no-store",
      headers: { Authorization: "Bearer " + token, Accept: "application/json" },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(
      function (response) {
        return response.json().then(
          function (json) {
            return { response: response, json: json };
          },
          function () {
            return { response: response, json: {} };
          }
        );
      },
      function () {
        throw new ApiError(0, "NETWORK", "");
      }
    ).then(function (result) {
      var status = result.response.status;
      if (status === 401) {
        tokenExpired();
        throw new ApiError(401, "INVALID_TOKEN", result.json.message || "");
      }
      if (!result.response.ok) throw new ApiError(status, result.json.code || "", result.json.message || "");
      return result.json.data;
    });
  }

  function tokenExpired() {
    if (state.expired) return;
    state.expired = true;
    stopFollowing();
    post({ type: "tokenExpired" });
    show("expired");
  }

  function failed(error) {
    // A 401 has already shown the expired page.
    if (error && error.status === 401) return;
    if (error && error.status === 0) showError("NETWORK");
    else showFatal((error && error.message) || "Please try again.", true);
  }

  // --- Pages -------------------------------------------------------------------------------

  var PAGE_EVENTS = {
    consent: "ConsentPageOpened",
    providers: "ProviderListPageOpened",
    login: "LoginPageOpened",
    mfa: "MfaPageOpened",
    success: "ConnectSuccessPageOpened",
    accounts: "AccountRevokePageOpened",
    filetypes: "FileTypeListPageOpened",
    upload: "UploadPageOpened",
  };
  var BACK = { providers: "consent", login: "providers", accounts: "providers", filetypes: "providers", upload: "filetypes" };
  var TITLES = {
    consent: "Share your records",
    providers: "Choose a provider",
    login: "Sign in",
    progress: "Connecting",
    mfa: "One-time code",
    success: "Connected",
    error: "Could not connect",
    accounts: "Your accounts",
    expired: "Session expired",
    fatal: "Something went wrong",
    filetypes: "Upload documents",
    upload: "Upload documents",
  };

  function backTarget() {
    return state.page === "login" && state.reauth ? "accounts" : BACK[state.page];
  }

  function show(page, options) {
    options = options || {};
    var sections = document.querySelectorAll("main > section");
    for (var i = 0; i < sections.length; i++) sections[i].hidden = sections[i].id !== page;
    var changed = state.page !== page;
    state.page = page;
    document.title = TITLES[page] + " · Sahod";
    $("back").hidden = !backTarget();
    if (PAGE_EVENTS[page] && !options.silent) uiEvent(PAGE_EVENTS[page], options.account || null, null);
    var focus = options.focus || $(page).querySelector("h1");
    if (focus && (changed || options.focus)) focus.focus();
  }

  function announce(text) {
    $("announce").textContent = text;
  }

  function showConsent() {
    var attention = needingAttention();
    $("consent-attention").hidden = !attention;
    if (attention) {
      $("consent-attention").textContent =
        "Your " + providerOf(attention.providerId).name + " connection needs you to sign in again.";
    }
    $("consent-manage").hidden = listed().length === 0;
    show("consent");
  }

  function renderProviders() {
    var query = $("search").value.trim().toLowerCase();
    var list = $("provider-list");
    list.textContent = "";
    var shown = 0;
    state.providers.forEach(function (provider) {
      var haystack = (provider.id + " " + provider.name + " " + provider.longName).toLowerCase();
      if (query && haystack.indexOf(query) === -1) return;
      shown++;
      var button = element("button", "provider");
      button.type = "button";
      var image = element("img");
      image.src = logo(provider);
      image.alt = "";
      image.width = image.height = 44;
      var text = element("span");
      text.appendChild(element("strong", "", provider.name));
      text.appendChild(element("small", "", provider.longName));
      button.appendChild(image);
      button.appendChild(text);
      button.addEventListener("click", function () {
        state.reauth = null;
        showLogin(provider);
      });
      var item = element("li");
      item.appendChild(button);
      list.appendChild(item);
    });
    $("no-match").textContent = shown
      ? query ? shown + (shown === 1 ? " provider" : " providers") + " found" : ""
      : "No provider matches “" + $("search").value.trim() + "”.";
  }

  function showProviders() {
    $("search").value = "";
    renderProviders();
    var count = listed().length;
    $("providers-manage").hidden = count === 0;
    $("providers-manage").textContent = "Your connected accounts (" + count + ")";
    $("upload-offer").hidden = !state.enableUpload;
    show("providers");
  }

  function setFieldError(input, message) {
    var note = $(input.id + "-error");
    note.textContent = message || "";
    note.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function showLogin(provider, account) {
    state.provider = provider;
    state.reauth = account || null;
    var username = $("username");
    $("login-h").textContent = (account ? "Sign in to " : "Connect ") + provider.name + (account ? " again" : "");
    $("login-sub").textContent = "Use the sign-in of your " + provider.longName + " online account.";
    $("login-logo").src = logo(provider);
    $("username-label").textContent = provider.loginLabel || "User ID";
    var email = provider.loginKind === "email";
    username.type = email ? "email" : "text";
    username.inputMode = email ? "email" : "text";
    $("login-reauth").hidden = !account;
    $("login-reauth").textContent = account
      ? "Sahod can no longer sign in to " + provider.name + " for you, usually because the password changed. Sign in again to keep your records up to date."
      : "";
    $("login-form").reset();
    setFieldError(username, "");
    setFieldError($("password"), "");
    $("password").type = "password";
    $("reveal").textContent = "Show";
    $("reveal").setAttribute("aria-pressed", "false");
    $("login-error").hidden = true;
    $("login-submit").disabled = false;
    $("login-submit").textContent = account ? "Reconnect" : "Connect";
    $("sandbox-hint").hidden = state.mode !== "SANDBOX";
    show("login", { account: account });
  }

  function submitLogin(event) {
    event.preventDefault();
    var username = $("username");
    var password = $("password");
    var name = username.value.trim();
    var problems = 0;
    setFieldError(username, "");
    setFieldError(password, "");
    if (!name) {
      setFieldError(username, "Enter your " + $("username-label").textContent.toLowerCase() + ".");
      problems++;
    } else if (username.type === "email" && name.indexOf("@") < 1) {
      setFieldError(username, "Enter an e-mail address, like juan@example.com.");
      problems++;
    }
    if (!password.value) {
      setFieldError(password, "Enter your password.");
      problems++;
    }
    if (problems) {
      (username.getAttribute("aria-invalid") ? username : password).focus();
      return;
    }
    var credentials = { username: name, password: password.value };
    $("login-submit").disabled = true;
    $("login-submit").textContent = "Connecting…";
    $("login-error").hidden = true;
    var request = state.reauth
      ? api("POST", "/link/v1/accounts/" + encodeURIComponent(state.reauth.id) + "/reauthorize", {
          credentials: credentials,
        })
      : api("POST", "/link/v1/accounts", {
          providerId: state.provider.id,
          credentials: credentials,
          consent: true,
        });
    request.then(
      function (account) {
        password.value = "";
        if (!state.reauth) callback("onAccountCreated", ids(account));
        follow(account);
      },
      function (error) {
        $("login-submit").disabled = false;
        $("login-submit").textContent = state.reauth ? "Reconnect" : "Connect";
        if (error.status === 401) return;
        var alert = $("login-error");
        alert.textContent =
          error.status === 0 ? ERRORS.NETWORK[1] : error.message || "That did not work. Please try again.";
        alert.hidden = false;
      }
    );
  }

  // --- Following an account: the events stream, or polling when it is not available --------

  function stopFollowing() {
    if (state.follower) state.follower.stop();
    state.follower = null;
  }

  function follow(account, resume) {
    stopFollowing();
    state.account = account;
    state.provider = providerOf(account.providerId);
    if (!resume) {
      state.fired = {};
      state.mfaSeenAt = null;
      state.connectedAt = 0;
      showProgress("signin", "Signing in to " + state.provider.name + "…");
    }
    var stopped = false;
    var source = null;
    var timer = null;
    var follower = {
      stop: function () {
        stopped = true;
        if (source) source.close();
        clearTimeout(timer);
      },
    };
    state.follower = follower;

    function poll(delay) {
      timer = setTimeout(function () {
        if (stopped) return;
        api("GET", "/link/v1/accounts/" + encodeURIComponent(account.id)).then(
          function (view) {
            if (stopped) return;
            update(view);
            if (!stopped) poll(POLL_MS);
          },
          function (error) {
            if (stopped || error.status === 401) return;
            if (error.status === 404) {
              stopFollowing();
              showError("DISCONNECTED");
              return;
            }
            poll(Math.min((delay || POLL_MS) * 2, 8000));
          }
        );
      }, delay);
    }

    if (window.EventSource) {
      var url =
        "/link/v1/accounts/" + encodeURIComponent(account.id) + "/events?access_token=" + encodeURIComponent(token);
      source = new EventSource(url);
      source.addEventListener("account", function (event) {
        if (stopped) return;
        var view;
        try {
          view = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        update(view);
      });
      source.onerror = function () {
        // Refused (an expired token), cut, or ended: carry on by polling, which also
        // finds out whether the token expired.
        if (stopped) return;
        source.close();
        source = null;
        poll(0);
      };
    } else {
      poll(0);
    }
  }

  function update(view) {
    state.account = view;
    var status = view.connectionStatus;
    if (status === "PENDING") {
      if (state.page !== "progress") showProgress("signin", "Signing in to " + state.provider.name + "…");
    } else if (status === "AWAITING_MFA") {
      // A code request already shown (or answered) comes back unchanged until the portal
      // answers the code; a new one has a new updatedAt.
      if (view.connection.updatedAt !== state.mfaSeenAt) {
        state.mfaSeenAt = view.connection.updatedAt;
        showMfa(view);
      }
    } else if (status === "CONNECTED") {
      if (!state.fired.connected) {
        state.fired.connected = true;
        state.connectedAt = Date.now();
        callback("onAccountConnected", ids(view));
      }
      if (view.syncing && Date.now() - state.connectedAt < MAX_SYNC_WAIT_MS) {
        showProgress("records", "Connected. Reading your records from " + state.provider.name + "…");
      } else {
        stopFollowing();
        showSuccess(view);
      }
    } else if (status === "ERROR") {
      stopFollowing();
      if (!state.fired.error) {
        state.fired.error = true;
        var payload = ids(view);
        payload.errorCode = view.connection.errorCode;
        callback("onAccountError", payload);
      }
      showError(view.connection.errorCode || "SYSTEM_ERROR", view);
    } else if (status === "DISCONNECTED") {
      stopFollowing();
      showError("DISCONNECTED", view);
    }
  }

  function showProgress(step, message) {
    var order = ["signin", "verify", "records"];
    var reached = order.indexOf(step);
    var items = $("steps").children;
    for (var i = 0; i < items.length; i++) {
      var index = order.indexOf(items[i].getAttribute("data-step"));
      items[i].className = index < reached ? "done" : "";
      if (index === reached) items[i].setAttribute("aria-current", "step");
      else items[i].removeAttribute("aria-current");
    }
    // Providers that never ask for a code still show the step as passed, not pending.
    $("progress-h").textContent = "Connecting " + state.provider.name;
    $("progress-message").textContent = message;
    show("progress");
  }

  function showMfa(view) {
    var mfa = view.mfa || {};
    var how = mfa.method === "sms" ? "by text message" : mfa.method === "email" ? "by e-mail" : "";
    var destination = $("mfa-destination");
    destination.textContent = "";
    destination.appendChild(
      document.createTextNode(
        state.provider.name + " sent a one-time code" + (how ? " " + how : "") + (mfa.destination ? " to " : ".")
      )
    );
    if (mfa.destination) {
      destination.appendChild(element("strong", "", mfa.destination));
      destination.appendChild(document.createTextNode("."));
    }
    var wrong = view.connection.errorCode === "INVALID_MFA";
    $("mfa-error").textContent = wrong ? "That code was not right. Check the latest message and try again." : "";
    $("mfa-error").hidden = !wrong;
    var code = $("code");
    code.value = "";
    setFieldError(code, "");
    if (wrong) code.setAttribute("aria-invalid", "true");
    $("mfa-submit").disabled = false;
    $("mfa-submit").textContent = "Verify";
    show("mfa", { account: view, focus: wrong ? code : null });
  }

  function submitCode(event) {
    event.preventDefault();
    var input = $("code");
    var code = input.value.replace(/\s+/g, "");
    if (!code) {
      setFieldError(input, "Enter the code you received.");
      input.focus();
      return;
    }
    var account = state.account;
    // The progress page first: the account can move on before this request even returns.
    showProgress("verify", "Checking the code with " + state.provider.name + "…");
    api("POST", "/link/v1/accounts/" + encodeURIComponent(account.id) + "/mfa", { code: code }).then(
      function () {
        if (!state.follower) follow(account, true);
      },
      function (error) {
        if (error.status === 401) return;
        if (error.status === 400 || !state.follower) {
          // No longer waiting for a code (it expired, say): follow where the account is.
          follow(account, true);
          return;
        }
        showMfa(state.account);
        $("mfa-error").textContent = error.status === 0 ? ERRORS.NETWORK[1] : error.message;
        $("mfa-error").hidden = false;
      }
    );
  }

  function showSuccess(view) {
    var provider = providerOf(view.providerId);
    $("success-message").textContent =
      "Your " + provider.name + " account is connected. Your records are shared with this service and kept up to date every month until you remove access.";
    announce(provider.name + " connected.");
    state.reauth = null;
    refreshAccounts().catch(function () {});
    show("success", { account: view });
  }

  function showError(code, view) {
    var words = ERRORS[code] || ERRORS.SYSTEM_ERROR;
    var name = view ? providerOf(view.providerId).name : state.provider ? state.provider.name : "The portal";
    $("error-h").textContent = words[0];
    $("error-message").textContent = words[1].replace(/\{p\}/g, name);
    $("error-code").textContent = code;
    show("error");
  }

  function retry() {
    if (state.reauth) {
      showLogin(providerOf(state.reauth.providerId), state.reauth);
    } else if (state.provider) {
      showLogin(state.provider);
    } else {
      showProviders();
    }
  }

  function showFatal(message, canRetry) {
    $("fatal-message").textContent = message;
    $("fatal-retry").hidden = !canRetry;
    show("fatal");
  }

  // --- The user's accounts: revoke and reconnect ----------------------------------------------

  function listed() {
    // Connected accounts, those on their way, and failed ones that had once connected
    // (their monitor left UNSUPPORTED): not every abandoned attempt.
    return state.accounts.filter(function (a) {
      if (a.connectionStatus === "DISCONNECTED") return false;
      if (a.connectionStatus === "ERROR") return a.monitorStatus !== "UNSUPPORTED";
      return true;
    });
  }

  function needsUser(account) {
    return account.monitorStatus === "USER_ACTION_REQUIRED" || account.connectionStatus === "ERROR";
  }

  function needingAttention() {
    var list = listed();
    for (var i = 0; i < list.length; i++) if (needsUser(list[i])) return list[i];
    return null;
  }

  function refreshAccounts() {
    return api("GET", "/link/v1/accounts").then(function (data) {
      state.accounts = data.items || [];
      return state.accounts;
    });
  }

  function describe(account) {
    if (account.connectionStatus === "ERROR") return ["Could not connect: " + (ERRORS[account.connection.errorCode] || ERRORS.SYSTEM_ERROR)[0], true];
    if (account.connectionStatus !== "CONNECTED") return ["Connecting…", false];
    if (account.monitorStatus === "USER_ACTION_REQUIRED") return ["Needs you to sign in again", true];
    if (account.monitorStatus === "ACTIVE") return ["Connected · updated every month", false];
    return ["Connected", false];
  }

  function renderAccounts() {
    var list = $("account-list");
    list.textContent = "";
    var accounts = listed();
    $("accounts-empty").hidden = accounts.length > 0;
    accounts.forEach(function (account) {
      var provider = providerOf(account.providerId);
      var item = element("li", "account");
      var row = element("div", "account-row");
      var image = element("img");
      image.src = logo(provider);
      image.alt = "";
      var text = element("div");
      text.appendChild(element("strong", "", provider.name));
      var status = describe(account);
      text.appendChild(element("small", status[1] ? "status-warn" : "", status[0]));
      row.appendChild(image);
      row.appendChild(text);
      item.appendChild(row);
      var buttons = element("div", "buttons");
      if (needsUser(account)) {
        var again = element("button", "secondary small", "Reconnect");
        again.type = "button";
        again.setAttribute("aria-label", "Reconnect " + provider.name);
        again.addEventListener("click", function () {
          showLogin(provider, account);
        });
        buttons.appendChild(again);
      }
      var remove = element("button", "secondary small", "Remove access");
      remove.type = "button";
      remove.setAttribute("aria-label", "Remove access to " + provider.name);
      remove.addEventListener("click", function () {
        confirmRemoval(item, buttons, account, provider);
      });
      buttons.appendChild(remove);
      item.appendChild(buttons);
      list.appendChild(item);
    });
  }

  function confirmRemoval(item, buttons, account, provider) {
    buttons.hidden = true;
    var box = element("div", "confirm");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Confirm removing " + provider.name);
    var question = element(
      "p",
      "",
      "Remove access to " + provider.name + "? Sahod deletes the records it holds for it and stops the monthly updates."
    );
    question.id = "confirm-" + account.id;
    box.appendChild(question);
    var row = element("div", "buttons");
    var yes = element("button", "danger small", "Remove");
    yes.type = "button";
    yes.setAttribute("aria-describedby", question.id);
    var no = element("button", "secondary small", "Cancel");
    no.type = "button";
    row.appendChild(yes);
    row.appendChild(no);
    box.appendChild(row);
    item.appendChild(box);
    yes.focus();
    function cancel() {
      item.removeChild(box);
      buttons.hidden = false;
      buttons.lastChild.focus();
    }
    no.addEventListener("click", cancel);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.stopPropagation();
        cancel();
      }
    });
    yes.addEventListener("click", function () {
      yes.disabled = no.disabled = true;
      yes.textContent = "Removing…";
      api("DELETE", "/link/v1/accounts/" + encodeURIComponent(account.id)).then(
        function () {
          callback("onAccountRemoved", ids(account));
          announce("Access to " + provider.name + " removed.");
          return refreshAccounts().then(function () {
            renderAccounts();
            $("accounts-h").focus();
          });
        },
        function (error) {
          if (error.status === 401) return;
          yes.disabled = no.disabled = false;
          yes.textContent = "Remove";
          announce("Removing access did not work. Please try again.");
        }
      );
    });
  }

  function showAccounts() {
    renderAccounts();
    show("accounts");
    refreshAccounts().then(renderAccounts, failed);
  }


  // --- Uploading documents (enableUpload): a type, files, their analysis, removal ----------

  var MAX_FILE_BYTES = 15 * 1024 * 1024;
  var ARCHIVE_POLL_MS = 1000;
  var FORMATS = { "application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG", "image/tiff": "TIFF" };
  var EXTENSIONS = { pdf: "PDF", png: "PNG", jpg: "JPEG", jpeg: "JPEG", tif: "TIFF", tiff: "TIFF" };
  var uploadKeys = 0;

  function showFileTypes() {
    var list = $("filetype-list");
    function render() {
      list.textContent = "";
      state.fileTypes.forEach(function (fileType) {
        if (fileType.enabled === false || fileType.active === false) return;
        var button = element("button", "provider");
        button.type = "button";
        var text = element("span");
        text.appendChild(element("strong", "", fileType.typeLabel || fileType.type));
        button.appendChild(text);
        button.addEventListener("click", function () {
          showUpload(fileType);
        });
        var item = element("li");
        item.appendChild(button);
        list.appendChild(item);
      });
    }
    if (state.fileTypes) {
      render();
      show("filetypes");
      return;
    }
    show("loading", { silent: true });
    api("GET", "/link/v1/fileTypes").then(function (data) {
      state.fileTypes = data.items || [];
      render();
      show("filetypes");
    }, failed);
  }

  function showUpload(fileType) {
    state.fileType = fileType;
    state.uploads = state.uploads.filter(function (entry) {
      return entry.archive && entry.archive.type === fileType.type && !removed(entry);
    });
    $("upload-h").textContent = "Upload your " + (fileType.typeLabel || fileType.type);
    $("upload-error").hidden = true;
    // A phone offers its camera; a desktop's picker is enough.
    $("camera-field").hidden = !(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
    renderUploads();
    show("upload");
    // The user's earlier documents of this type, so they can be removed here too.
    api("GET", "/link/v1/archives").then(function (data) {
      var known = {};
      state.uploads.forEach(function (entry) {
        if (entry.archive) known[entry.archive.id] = true;
      });
      (data.items || []).forEach(function (item) {
        var archive = item.archive;
        if (known[archive.id] || archive.type !== fileType.type || archive.state.status === "REVOKED") return;
        state.uploads.push(entryOf(item, namesOf(archive)));
        if (archive.state.status === "STARTED") watch(state.uploads[state.uploads.length - 1]);
      });
      if (state.page === "upload") renderUploads();
    }, failed);
  }

  function entryOf(item, names) {
    return { key: ++uploadKeys, names: names, archive: item.archive, upload: item.upload, error: null };
  }

  function namesOf(archive) {
    return (archive.rawFiles || []).map(function (file) {
      return file.name;
    });
  }

  function removed(entry) {
    return entry.archive && entry.archive.state.status === "REVOKED";
  }

  function formatOf(file) {
    var dot = file.name.lastIndexOf(".");
    return FORMATS[file.type] || (dot >= 0 ? EXTENSIONS[file.name.slice(dot + 1).toLowerCase()] : undefined);
  }

  function base64Of(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        var url = String(reader.result);
        resolve(url.slice(url.indexOf(",") + 1));
      };
      reader.onerror = function () {
        reject(reader.error);
      };
      reader.readAsDataURL(file);
    });
  }

  function uploadProblem(message) {
    $("upload-error").textContent = message;
    $("upload-error").hidden = !message;
  }

  function picked(event) {
    var input = event.target;
    var files = Array.prototype.slice.call(input.files || []);
    input.value = "";
    if (!files.length) return;
    uploadProblem("");
    for (var i = 0; i < files.length; i++) {
      if (!formatOf(files[i])) return uploadProblem(files[i].name + " is not a PDF, PNG, JPEG or TIFF file.");
      if (files[i].size > MAX_FILE_BYTES) return uploadProblem(files[i].name + " is larger than 15 MB.");
    }
    // The files picked together are one document (the pages of one payslip, say).
    var entry = { key: ++uploadKeys, names: files.map(function (f) { return f.name; }), archive: null, upload: null, error: null };
    state.uploads.push(entry);
    renderUploads();
    announce("Uploading " + entry.names.join(", ") + "…");
    Promise.all(files.map(base64Of)).then(function (contents) {
      return api("POST", "/link/v1/archives", {
        type: state.fileType.type,
        rawFiles: files.map(function (file, index) {
          return { name: file.name, fileExtensionType: formatOf(file), data: contents[index] };
        }),
      });
    }).then(
      function (created) {
        entry.archive = created.archive;
        entry.upload = created.upload;
        callback("onUploadsCreated", { uploads: [created.upload], userId: state.userId });
        uiEvent("ArchiveStarted", null, created.archive);
        renderUploads();
        watch(entry);
      },
      function (error) {
        state.uploads.splice(state.uploads.indexOf(entry), 1);
        renderUploads();
        if (error.status === 401) return;
        uploadProblem(error.status === 0 ? ERRORS.NETWORK[1] : error.message || "That file could not be uploaded.");
      }
    );
  }

  function watch(entry) {
    function poll() {
      setTimeout(function () {
        if (state.expired || !entry.archive || entry.archive.state.status !== "STARTED") return;
        api("GET", "/link/v1/archives/" + encodeURIComponent(entry.archive.id)).then(
          function (view) {
            if (entry.archive.state.status === "REVOKED") return;
            entry.archive = view.archive;
            entry.upload = view.upload;
            var status = view.archive.state.status;
            if (status === "STARTED") return poll();
            uiEvent(status === "ANALYZED" ? "ArchiveAnalyzed" : "ArchiveFailed", null, view.archive);
            announce(entry.names.join(", ") + ": " + describeUpload(entry)[0]);
            if (state.page === "upload") renderUploads();
          },
          function (error) {
            if (error.status !== 401 && error.status !== 404) poll();
          }
        );
      }, ARCHIVE_POLL_MS);
    }
    poll();
  }

  var TYPE_WORDS = {
    PAYSLIP: "payslip",
    TAX_DOCUMENT: "BIR Form 2316",
    EMPLOYMENT_CERTIFICATE: "certificate of employment",
    CLEARANCE_NBI: "NBI clearance",
  };

  function describeUpload(entry) {
    if (!entry.archive) return ["Uploading…", ""];
    var now = entry.archive.state;
    if (now.status === "STARTED") return ["Reading the document…", ""];
    if (now.status === "ANALYZED") {
      var found = entry.archive.classification && entry.archive.classification.fileType;
      return ["Read" + (TYPE_WORDS[found] ? " as a " + TYPE_WORDS[found] : ""), "status-ok"];
    }
    if (now.status === "REVOKED") return ["Removed", ""];
    return ["Could not be read: " + (now.errorMessage || "try a clearer copy."), "status-warn"];
  }

  function renderUploads() {
    var list = $("upload-list");
    list.textContent = "";
    state.uploads.forEach(function (entry) {
      var item = element("li", "account");
      item.setAttribute("data-archive", entry.archive ? entry.archive.id : "");
      var text = element("div");
      text.appendChild(element("strong", "upload-name", entry.names.join(", ")));
      var status = describeUpload(entry);
      text.appendChild(element("small", status[1], status[0]));
      item.appendChild(text);
      if (entry.archive) {
        var buttons = element("div", "buttons");
        var remove = element("button", "secondary small", "Remove");
        remove.type = "button";
        remove.setAttribute("aria-label", "Remove " + entry.names.join(", "));
        remove.addEventListener("click", function () {
          removeUpload(entry, remove);
        });
        buttons.appendChild(remove);
        item.appendChild(buttons);
      }
      list.appendChild(item);
    });
  }

  function removeUpload(entry, button) {
    button.disabled = true;
    button.textContent = "Removing…";
    api("DELETE", "/link/v1/archives/" + encodeURIComponent(entry.archive.id)).then(
      function (view) {
        entry.archive = view.archive;
        entry.upload = view.upload;
        state.uploads.splice(state.uploads.indexOf(entry), 1);
        callback("onUploadsRemoved", { uploads: [view.upload], userId: state.userId });
        uiEvent("ArchiveRevoked", null, view.archive);
        announce(entry.names.join(", ") + " removed.");
        renderUploads();
        $("upload-h").focus();
      },
      function (error) {
        if (error.status === 401) return;
        button.disabled = false;
        button.textContent = "Remove";
        uploadProblem(error.status === 0 ? ERRORS.NETWORK[1] : error.message || "Removing did not work. Please try again.");
      }
    );
  }

  // --- Wiring --------------------------------------------------------------------------------

  // The link token opens one session (it is spent doing so); the widget then uses the
  // session token it was given. The session is kept for this tab, so the host page opening
  // the widget again with the same link token resumes it rather than being refused.
  var sessionOpened = null;
  var sessionKey = "sahod-link-session:" + token;

  function rememberedSession() {
    try {
      return window.sessionStorage.getItem(sessionKey);
    } catch (blocked) {
      return null;
    }
  }

  function rememberSession(value) {
    try {
      window.sessionStorage.setItem(sessionKey, value);
    } catch (blocked) {
      // No storage (blocked third-party storage): the session lives as long as this page.
    }
  }

  function openSession() {
    if (!sessionOpened) {
      var remembered = rememberedSession();
      if (remembered) {
        token = remembered;
        sessionOpened = Promise.resolve({ sessionToken: remembered });
        return sessionOpened;
      }
      sessionOpened = api("POST", "/link/v1/session").then(function (opened) {
        token = opened.sessionToken;
        rememberSession(token);
        return opened;
      });
      sessionOpened.then(null, function () {
        sessionOpened = null;
      });
    }
    return sessionOpened;
  }

  function boot() {
    show("loading", { silent: true });
    openSession().then(function () {
      return Promise.all([
        api("GET", "/link/v1/session"),
        api("GET", "/link/v1/providers"),
        api("GET", "/link/v1/accounts"),
      ]);
    }).then(function (results) {
      state.userId = results[0].userId;
      state.mode = results[0].mode;
      state.providers = results[1].items || [];
      state.accounts = results[2].items || [];
      showConsent();
    }, failed);
  }

  function start() {
    $("close").addEventListener("click", function () {
      closeWidget("close");
    });
    $("back").addEventListener("click", function () {
      var target = backTarget();
      if (target === "consent") showConsent();
      else if (target === "providers") showProviders();
      else if (target === "accounts") showAccounts();
      else if (target === "filetypes") showFileTypes();
    });
    document.addEventListener("keydown", function (event) {
      // The keyboard's way to the x icon.
      if (event.key === "Escape") closeWidget("close");
    });
    $("agree").addEventListener("click", showProviders);
    $("consent-manage").addEventListener("click", showAccounts);
    $("providers-manage").addEventListener("click", showAccounts);
    $("search").addEventListener("input", renderProviders);
    $("login-form").addEventListener("submit", submitLogin);
    $("reveal").addEventListener("click", function () {
      var field = $("password");
      var visible = field.type === "password";
      field.type = visible ? "text" : "password";
      this.textContent = visible ? "Hide" : "Show";
      this.setAttribute("aria-pressed", String(visible));
    });
    $("mfa-form").addEventListener("submit", submitCode);
    $("done").addEventListener("click", function () {
      closeWidget("exit");
    });
    $("another").addEventListener("click", showProviders);
    $("retry").addEventListener("click", retry);
    $("error-close").addEventListener("click", function () {
      closeWidget("error");
    });
    $("accounts-add").addEventListener("click", showProviders);
    $("expired-close").addEventListener("click", function () {
      closeWidget("error");
    });
    $("fatal-close").addEventListener("click", function () {
      closeWidget("error");
    });
    $("upload-start").addEventListener("click", showFileTypes);
    $("files").addEventListener("change", picked);
    $("camera").addEventListener("change", picked);
    $("upload-done").addEventListener("click", function () {
      closeWidget("exit");
    });
    $("fatal-retry").addEventListener("click", boot);

    // Only the page that opened us, as the SDK declared it, hears from us.
    var ancestors = location.ancestorOrigins;
    if (embedded && hostOrigin && ancestors && ancestors.length && ancestors[0] !== hostOrigin) {
      hostOrigin = null;
      showFatal("This page was opened from a site it was not given to.", false);
      return;
    }
    if (!token) {
      showFatal("Open this page from the service that sent you here.", false);
      return;
    }
    post({ type: "ready" });
    boot();
  }

  start();
})();
