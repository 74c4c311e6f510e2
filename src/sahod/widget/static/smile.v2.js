/*! Sahod Link SDK v2: the Smile-compatible SmileLinkModal. Apache-2.0.
 *
 *   new SmileLinkModal({ userToken, enableUpload, onAccountCreated, onAccountConnected,
 *                        onAccountRemoved, onAccountError, onUploadsCreated, onUploadsRemoved,
 *                        onTokenExpired, onClose, onUIEvent }).open();
 *
 * onClose's reason, as Smile documents it: "close" for the x icon (or Escape, or the host
 * calling close()), "exit" for Done on a success page, "error" for leaving an error page.
 *
 * It opens the widget (/link/ on the Sahod server) in an iframe overlay and talks to it
 * with postMessage: it hands the widget the user token in the iframe URL's fragment (never
 * sent to a server, so it reaches no log), accepts messages only from that iframe and the
 * Sahod origin, and posts only to that origin. The overlay's look can be changed from the
 * host page's own stylesheet (.sahod-link-overlay, .sahod-link-frame).
 */
(function (window, document) {
  "use strict";
  if (window.SmileLinkModal) return;

  // apiHost defaults to where this script came from (found by name if it was not run as a
  // plain script tag, when currentScript is null).
  var script = document.currentScript;
  if (!script) {
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0 && !script; i--) {
      if (/\/v2\/smile\.v2\.js([?#]|$)/.test(scripts[i].src)) script = scripts[i];
    }
  }
  var SCRIPT_ORIGIN = script && script.src ? new URL(script.src, location.href).origin : "";
  var READY_TIMEOUT_MS = 30000;
  var REASONS = { close: 1, exit: 1, error: 1 };
  var ACCOUNT = ["accountId", "userId", "providerId"];
  var UPLOADS = ["uploads", "userId"];
  // The arguments each callback gets, exactly as the Smile SDK documents them.
  var SHAPES = {
    onAccountCreated: ACCOUNT,
    onAccountConnected: ACCOUNT,
    onAccountRemoved: ACCOUNT,
    onAccountError: ACCOUNT.concat("errorCode"),
    onUploadsCreated: UPLOADS,
    onUploadsRemoved: UPLOADS,
    onUIEvent: ["eventName", "eventTime", "mode", "userId", "account", "archive"],
  };
  var CSS =
    ".sahod-link-overlay{position:fixed;inset:0;z-index:2147483000;display:flex;" +
    "align-items:center;justify-content:center;padding:16px;box-sizing:border-box;" +
    "background:rgba(15,23,42,.6)}" +
    ".sahod-link-frame{display:block;width:100%;max-width:420px;height:100%;max-height:720px;" +
    "border:0;border-radius:16px;background:#fff;box-shadow:0 24px 60px rgba(0,0,0,.35)}" +
    "@media (max-width:480px),(max-height:560px){.sahod-link-overlay{padding:0}" +
    ".sahod-link-frame{max-width:none;max-height:none;border-radius:0}}";

  function injectStyle() {
    if (document.getElementById("sahod-link-style")) return;
    var style = document.createElement("style");
    style.id = "sahod-link-style";
    style.textContent = CSS;
    // First in <head>: the host page's own rules, coming later, win at equal specificity.
    var head = document.head || document.documentElement;
    head.insertBefore(style, head.firstChild);
  }

  function pick(source, keys) {
    var out = {};
    for (var i = 0; i < keys.length; i++) {
      var value = source && Object.prototype.hasOwnProperty.call(source, keys[i]) ? source[keys[i]] : null;
      out[keys[i]] = value === undefined ? null : value;
    }
    return out;
  }

  function SmileLinkModal(options) {
    if (!(this instanceof SmileLinkModal)) throw new TypeError("Use: new SmileLinkModal(options)");
    options = options || {};
    if (typeof options.userToken !== "string" || !options.userToken) {
      throw new TypeError("SmileLinkModal: userToken is required");
    }
    var host;
    try {
      host = new URL(options.apiHost || SCRIPT_ORIGIN || location.href, location.href);
    } catch (e) {
      throw new TypeError("SmileLinkModal: apiHost is not a URL");
    }
    if (host.protocol !== "https:" && host.protocol !== "http:") {
      throw new TypeError("SmileLinkModal: apiHost must be an http(s) URL");
    }
    this.options = options;
    // Only the origin counts: Smile's apiHost names the Link API ('https://…/v1').
    this.origin = host.origin;
    this._overlay = null;
    this._frame = null;
    this._receive = this._receive.bind(this);
    this._keydown = this._keydown.bind(this);
    this._focusin = this._focusin.bind(this);
  }

  SmileLinkModal.prototype.open = function () {
    if (this._overlay) return this;
    injectStyle();
    var overlay = document.createElement("div");
    overlay.className = "sahod-link-overlay";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", "Connect your account");
    var frame = document.createElement("iframe");
    frame.className = "sahod-link-frame";
    frame.title = "Connect your account";
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms");
    frame.setAttribute("referrerpolicy", "no-referrer");
    var fragment = new URLSearchParams({
      token: this.options.userToken,
      origin: location.origin,
    });
    frame.src = this.origin + "/link/#" + fragment.toString();
    overlay.appendChild(frame);

    this._opener = document.activeElement;
    this._overflow = document.documentElement.style.overflow;
    document.documentElement.style.overflow = "hidden";
    this._overlay = overlay;
    this._frame = frame;
    this._ready = false;
    window.addEventListener("message", this._receive);
    document.addEventListener("keydown", this._keydown, true);
    document.addEventListener("focusin", this._focusin, true);
    document.body.appendChild(overlay);
    frame.focus();
    var self = this;
    this._timer = setTimeout(function () {
      if (!self._ready) self._finish("error");
    }, READY_TIMEOUT_MS);
    return this;
  };

  /** Close the widget from the host page: onClose({reason: "close"}). */
  SmileLinkModal.prototype.close = function () {
    if (this._overlay) this._finish("close");
    return this;
  };

  SmileLinkModal.prototype._finish = function (reason) {
    clearTimeout(this._timer);
    window.removeEventListener("message", this._receive);
    document.removeEventListener("keydown", this._keydown, true);
    document.removeEventListener("focusin", this._focusin, true);
    if (this._overlay && this._overlay.parentNode) this._overlay.parentNode.removeChild(this._overlay);
    this._overlay = null;
    this._frame = null;
    document.documentElement.style.overflow = this._overflow || "";
    var opener = this._opener;
    this._opener = null;
    if (opener && opener.focus && document.contains(opener)) opener.focus();
    this._emit("onClose", { reason: reason });
  };

  SmileLinkModal.prototype._emit = function (name, argument) {
    var callback = this.options[name];
    if (typeof callback !== "function") return;
    try {
      if (argument === undefined) callback();
      else callback(argument);
    } catch (error) {
      // The host's bug must not stop the widget; rethrown later, it still shows in the console.
      setTimeout(function () {
        throw error;
      });
    }
  };

  SmileLinkModal.prototype._receive = function (event) {
    if (!this._frame || event.source !== this._frame.contentWindow) return;
    if (event.origin !== this.origin) return;
    var message = event.data;
    if (!message || message.source !== "sahod-link" || typeof message.type !== "string") return;
    if (message.type === "ready") {
      this._ready = true;
      clearTimeout(this._timer);
      this._frame.contentWindow.postMessage(
        {
          source: "sahod-sdk",
          type: "init",
          templateId: this.options.templateId || null,
          enableSampleModel: !!this.options.enableSampleModel,
          enableUpload: this.options.enableUpload === true,
        },
        this.origin
      );
    } else if (message.type === "callback" && Object.prototype.hasOwnProperty.call(SHAPES, message.name)) {
      this._emit(message.name, pick(message.payload, SHAPES[message.name]));
    } else if (message.type === "tokenExpired") {
      this._emit("onTokenExpired");
    } else if (message.type === "close") {
      this._finish(REASONS[message.reason] === 1 ? message.reason : "close");
    }
  };

  SmileLinkModal.prototype._keydown = function (event) {
    // Focus in the host page while open (the widget handles Escape inside itself): the
    // keyboard's x icon.
    if (event.key === "Escape" && this._overlay) {
      event.preventDefault();
      this._finish("close");
    }
  };

  SmileLinkModal.prototype._focusin = function (event) {
    // Keep keyboard focus in the dialog: tabbing out of the widget comes back to it.
    if (this._overlay && !this._overlay.contains(event.target)) this._frame.focus();
  };

  window.SmileLinkModal = SmileLinkModal;
})(window, document);
