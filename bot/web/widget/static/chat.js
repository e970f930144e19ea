/*
 * Skelleftea kommun chat widget.
 *
 * Embed with one tag (the script brings its own style and markup):
 *   <script src="https://CHAT-HOST/widget/chat.js" defer data-title="Fraga om kommunens service"></script>
 *
 * The browser talks only to the app that served this file (/api/...). All text from the
 * bot or the citizen is inserted with textContent; links in bot text are built as <a>
 * elements with DOM APIs, http(s) only. UI text comes from GET /api/texts
 * (data/web_texts.yml). The conversation id lives in sessionStorage, and the
 * conversation is restored from the server after a reload.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__skelleftea_chat_loaded) { return; }
  window.__skelleftea_chat_loaded = true;

  var ORIGIN = new URL(script.src, document.baseURI).origin;
  var KEY_SENDER = "skelleftea-chat.sender";
  var KEY_OPEN = "skelleftea-chat.open";
  var URL_PATTERN = /https?:\/\/[^\s<>"'`]+/g;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18",
    up: "M7 11v9H4v-9h3zm2 9h8.2a2 2 0 0 0 2-1.6l1.3-6.5A2 2 0 0 0 18.5 10H14l.8-4.2A1.6 1.6 0 0 0 12 4.6L9 10v10z",
    down: "M7 13V4H4v9h3zm2-9h8.2a2 2 0 0 1 2 1.6l1.3 6.5a2 2 0 0 1-2 2.4H14l.8 4.2a1.6 1.6 0 0 1-2.8 1.2L9 14V4z"
  };

  var T = null;             // UI texts from /api/texts
  var maxChars = 1000;
  var sender = store("get", KEY_SENDER);
  var busy = false;
  var ui = {};

  // ---------------------------------------------------------------- helpers

  function store(action, key, value) {
    try {
      if (action === "get") { return window.sessionStorage.getItem(key); }
      if (action === "set") { window.sessionStorage.setItem(key, value); }
      if (action === "remove") { window.sessionStorage.removeItem(key); }
    } catch (e) { /* storage disabled: the chat still works, without restore */ }
    return null;
  }

  // el("p", {className: "x", text: "..."}, [children]) - text always via textContent.
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (name) {
      var value = props[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === "text") { node.textContent = value; }
      else if (name === "className") { node.className = value; }
      else if (name === "hidden") { node.hidden = true; }
      else { node.setAttribute(name, value === true ? "" : String(value)); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    if (name === "close") {
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "2.5");
      path.setAttribute("stroke-linecap", "round");
    } else {
      path.setAttribute("fill", "currentColor");
    }
    svg.appendChild(path);
    return svg;
  }

  function safeHref(raw) {
    try {
      var url = new URL(raw);
      return (url.protocol === "http:" || url.protocol === "https:") ? url.href : null;
    } catch (e) { return null; }
  }

  function link(href, label) {
    return el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, [
      document.createTextNode(label),
      el("span", { className: "skw-vh", text: " " + T.new_tab })
    ]);
  }

  // Appends `text` to `parent`, turning http(s) URLs into links; everything else is text.
  function appendLinkified(parent, text) {
    var last = 0;
    text.replace(URL_PATTERN, function (match, offset) {
      var url = match.replace(/[.,;:!?)\]]+$/, "");   // sentence punctuation is not the URL
      var href = safeHref(url);
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      parent.appendChild(href ? link(href, url) : document.createTextNode(url));
      last = offset + url.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function api(method, path, body) {
    var options = { method: method, headers: { "Accept": "application/json" }, credentials: "omit" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(ORIGIN + "/api" + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data || {} };
      });
    });
  }

  function scrollToEnd() {
    ui.scroll.scrollTop = ui.scroll.scrollHeight;
  }

  // ---------------------------------------------------------------- building the UI

  function build(launcherText, title) {
    ui.root = el("div", { className: "skw-root", lang: "sv" });

    ui.launcher = el("button", {
      type: "button", className: "skw-launcher", "aria-expanded": "false",
      "aria-controls": "skw-panel"
    }, [icon("chat"), el("span", { text: launcherText })]);

    ui.close = el("button", {
      type: "button", className: "skw-header-button skw-close", "aria-label": T.close
    }, [icon("close")]);
    ui.deleteButton = el("button", {
      type: "button", className: "skw-linkbutton skw-delete", text: T["delete"]
    });

    ui.confirmYes = el("button", {
      type: "button", className: "skw-button skw-button--danger", text: T.delete_yes,
      "aria-describedby": "skw-confirm-text"
    });
    ui.confirmNo = el("button", {
      type: "button", className: "skw-button", text: T.delete_no,
      "aria-describedby": "skw-confirm-text"
    });
    ui.confirm = el("div", { className: "skw-confirm", hidden: true }, [
      el("p", { id: "skw-confirm-text", text: T.delete_confirm }),
      el("div", { className: "skw-confirm-actions" }, [ui.confirmYes, ui.confirmNo])
    ]);

    ui.log = el("div", {
      className: "skw-log", role: "log", "aria-live": "polite", "aria-label": T.log_label
    });
    ui.scroll = el("div", { className: "skw-scroll" }, [
      el("section", { className: "skw-notice", "aria-labelledby": "skw-notice-heading" }, [
        el("h3", { id: "skw-notice-heading", text: T.privacy_heading }),
        el("p", { text: T.privacy_notice })
      ]),
      el("div", { className: "skw-log-intro" }, [
        el("p", { className: "skw-msg skw-msg--bot", text: T.welcome })
      ]),
      ui.log
    ]);

    ui.typing = el("div", { className: "skw-typing", "aria-hidden": "true", hidden: true },
      [el("span"), el("span"), el("span")]);
    ui.status = el("p", { className: "skw-vh", role: "status" });

    ui.input = el("input", {
      id: "skw-input", className: "skw-input", type: "text", autocomplete: "off",
      placeholder: T.input_placeholder, "aria-describedby": "skw-error skw-count"
    });
    ui.send = el("button", { type: "submit", className: "skw-send", text: T.send });
    ui.error = el("p", { id: "skw-error", className: "skw-error", role: "alert", hidden: true });
    ui.count = el("p", { id: "skw-count", className: "skw-count", hidden: true });
    ui.form = el("form", { className: "skw-form", novalidate: true }, [
      el("label", { "for": "skw-input", text: T.input_label }),
      el("div", { className: "skw-row" }, [ui.input, ui.send]),
      ui.error,
      ui.count
    ]);

    ui.panel = el("div", {
      id: "skw-panel", className: "skw-panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "skw-title", hidden: true
    }, [
      el("div", { className: "skw-header" }, [
        el("div", { className: "skw-heading" }, [
          el("h2", { id: "skw-title", className: "skw-title", text: title }),
          el("p", { className: "skw-subtitle", text: T.subtitle })
        ]),
        ui.close
      ]),
      ui.scroll,
      ui.typing,
      ui.status,
      ui.form,
      el("div", { className: "skw-footer" }, [ui.deleteButton, ui.confirm])
    ]);

    ui.root.appendChild(ui.launcher);
    ui.root.appendChild(ui.panel);
    document.body.appendChild(ui.root);

    ui.launcher.addEventListener("click", open);
    ui.close.addEventListener("click", close);
    ui.deleteButton.addEventListener("click", askDelete);
    ui.confirmNo.addEventListener("click", cancelDelete);
    ui.confirmYes.addEventListener("click", deleteConversation);
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value;
      if (!text.trim()) { ui.input.focus(); return; }
      send(text, text, true);
    });
    ui.input.addEventListener("input", updateCount);
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      event.preventDefault();
      if (!ui.confirm.hidden) { cancelDelete(); } else { close(); }
    });
  }

  function open() {
    ui.panel.hidden = false;
    ui.launcher.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    store("set", KEY_OPEN, "1");
    scrollToEnd();
    ui.input.focus();
  }

  function close() {
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    store("remove", KEY_OPEN);
    ui.launcher.focus();
  }

  function updateCount() {
    var left = maxChars - ui.input.value.length;
    ui.count.hidden = left > 100;
    ui.count.textContent = left + " " + T.characters_left;
    if (!ui.error.hidden) { showInputError(null); }
  }

  function showInputError(message) {
    ui.error.hidden = !message;
    ui.error.textContent = message || "";
    if (message) { ui.input.setAttribute("aria-invalid", "true"); }
    else { ui.input.removeAttribute("aria-invalid"); }
  }

  function setBusy(value) {
    busy = value;
    ui.typing.hidden = !value;
    ui.status.textContent = value ? T.typing : "";
    if (value) { ui.send.setAttribute("aria-disabled", "true"); }
    else { ui.send.removeAttribute("aria-disabled"); }
    if (value) { scrollToEnd(); }
  }

  // ---------------------------------------------------------------- rendering messages

  function addUserMessage(text) {
    var node = el("p", { className: "skw-msg skw-msg--user" }, [
      el("span", { className: "skw-vh", text: T.you + " " }),
      document.createTextNode(text)
    ]);
    ui.log.appendChild(node);
    return node;
  }

  function addBotText(text) {
    var node = el("p", { className: "skw-msg skw-msg--bot" }, [
      el("span", { className: "skw-vh", text: T.bot + " " })
    ]);
    appendLinkified(node, text);
    ui.log.appendChild(node);
  }

  function addNote(text, isError) {
    ui.log.appendChild(el("p", {
      className: "skw-msg " + (isError ? "skw-msg--system" : "skw-msg--note"), text: text
    }));
    scrollToEnd();
  }

  function removeReplies() {
    Array.prototype.forEach.call(ui.log.querySelectorAll(".skw-replies"), function (group) {
      group.parentNode.removeChild(group);
    });
  }

  function addReplies(buttons) {
    var group = el("div", { className: "skw-replies", role: "group", "aria-label": T.replies_label });
    buttons.forEach(function (button) {
      var node = el("button", { type: "button", className: "skw-reply", text: button.title });
      node.addEventListener("click", function () { send(button.payload, button.title, false); });
      group.appendChild(node);
    });
    ui.log.appendChild(group);
  }

  function promiseItem(promise) {
    var item = el("li");
    if (typeof promise.commitment === "string" && promise.commitment) {
      item.appendChild(el("span", { className: "skw-badge", text: promise.commitment }));
    }
    item.appendChild(document.createTextNode(String(promise.text || "")));
    return item;
  }

  function addCard(card) {
    var promises = Array.isArray(card.promises) ? card.promises.filter(function (p) {
      return p && typeof p.text === "string";
    }) : [];
    var timed = promises.filter(function (p) { return p.commitment; });
    var others = promises.filter(function (p) { return !p.commitment; });
    var name = String(card.name || "");
    var headingId = "skw-card-" + Math.random().toString(36).slice(2, 10);
    var section = el("section", { className: "skw-card", "aria-labelledby": headingId }, [
      el("h3", { id: headingId, text: name }),
      el("p", { className: "skw-card-kind", text: (T.kinds && T.kinds[card.kind]) || String(card.kind || "") })
    ]);
    if (timed.length) {
      section.appendChild(el("ul", {}, timed.map(promiseItem)));
      if (others.length) {
        section.appendChild(el("details", {}, [
          el("summary", { text: T.card_more_promises + " (" + others.length + ")" }),
          el("ul", {}, others.map(promiseItem))
        ]));
      }
    } else if (others.length) {
      section.appendChild(el("ul", {}, others.map(promiseItem)));
    }
    if (typeof card.responsible_board === "string" && card.responsible_board) {
      section.appendChild(el("p", { className: "skw-card-meta", text: T.card_board + " " + card.responsible_board }));
    }
    var href = typeof card.source_url === "string" ? safeHref(card.source_url) : null;
    if (href) {
      section.appendChild(el("p", { className: "skw-card-meta" }, [
        document.createTextNode(T.card_source + " "), link(href, card.source_url)
      ]));
    }
    if (typeof card.reviewed === "string" && card.reviewed) {
      var reviewed = card.reviewed_approximate
        ? T.card_reviewed_approximate + " " + card.reviewed.slice(0, 4)
        : T.card_reviewed + " " + card.reviewed;
      section.appendChild(el("p", { className: "skw-card-meta", text: reviewed + "." }));
    }
    ui.log.appendChild(section);
  }

  function addFeedback(turn, rating) {
    var thanks = el("span", { className: "skw-feedback-thanks", text: rating ? T.feedback_thanks : "" });
    var question = el("span", { text: T.feedback_question });
    var group = el("div", { className: "skw-feedback", role: "group", "aria-label": T.feedback_question });
    var buttons = {};
    ["up", "down"].forEach(function (value) {
      var button = el("button", {
        type: "button", className: "skw-thumb", "aria-label": T["feedback_" + value],
        "aria-pressed": rating === value ? "true" : "false"
      }, [icon(value)]);
      button.addEventListener("click", function () {
        api("POST", "/feedback", { sender: sender, turn: turn, rating: value }).then(function (result) {
          if (!result.ok) { thanks.textContent = T.feedback_failed; return; }
          buttons.up.setAttribute("aria-pressed", value === "up" ? "true" : "false");
          buttons.down.setAttribute("aria-pressed", value === "down" ? "true" : "false");
          thanks.textContent = T.feedback_thanks;
        }, function () { thanks.textContent = T.feedback_failed; });
      });
      buttons[value] = button;
    });
    group.appendChild(question);
    group.appendChild(buttons.up);
    group.appendChild(buttons.down);
    group.appendChild(thanks);
    ui.log.appendChild(group);
  }

  // One answer of the bot: its messages, the latest quick replies, then thumbs.
  function addAnswer(messages, turn, rating, showReplies) {
    var replies = null;
    messages.forEach(function (message) {
      if (typeof message.text === "string" && message.text) { addBotText(message.text); }
      if (message.custom && message.custom.type === "promise_card") { addCard(message.custom); }
      if (Array.isArray(message.buttons) && message.buttons.length) { replies = message.buttons; }
    });
    if (replies && showReplies) { addReplies(replies); }
    if (turn) { addFeedback(turn, rating); }
  }

  // ---------------------------------------------------------------- talking to the API

  function send(message, shownText, typed) {
    if (busy) { return; }
    showInputError(null);
    removeReplies();
    var bubble = addUserMessage(shownText);
    if (typed) { ui.input.value = ""; updateCount(); }
    ui.input.focus();
    setBusy(true);
    var body = { message: message };
    if (sender) { body.sender = sender; }
    api("POST", "/chat", body).then(function (result) {
      setBusy(false);
      if (result.ok) {
        sender = result.data.sender;
        store("set", KEY_SENDER, sender);
        addAnswer(result.data.messages || [], result.data.turn, null, true);
      } else if (result.status >= 400 && result.status < 500 && result.status !== 429) {
        // Not sent: take the bubble back and let the citizen correct the text.
        bubble.parentNode.removeChild(bubble);
        if (typed) { ui.input.value = message; updateCount(); }
        if (result.data.error === "invalid_sender") { forgetConversation(); }
        showInputError(result.data.message || T.unavailable);
        ui.input.focus();
      } else {
        addNote(result.data.message || T.unavailable, true);
      }
      scrollToEnd();
    }, function () {
      setBusy(false);
      addNote(T.unavailable, true);
    });
  }

  function restore() {
    if (!sender) { return Promise.resolve(); }
    return api("GET", "/conversation/" + encodeURIComponent(sender)).then(function (result) {
      if (!result.ok) {
        if (result.status === 400) { forgetConversation(); }
        return;
      }
      var messages = result.data.messages || [];
      var ratings = result.data.ratings || {};
      var group = [];
      var groupTurn = null;
      var flush = function (isLast) {
        if (group.length) { addAnswer(group, groupTurn, ratings[String(groupTurn)] || null, isLast); }
        group = [];
      };
      messages.forEach(function (m) {
        if (m.role === "user") {
          flush(false);
          addUserMessage(m.text || "");
          return;
        }
        if (group.length && m.turn !== groupTurn) { flush(false); }
        groupTurn = m.turn;
        group.push(m);
      });
      flush(true);
    }, function () { /* offline: start with an empty log */ });
  }

  function forgetConversation() {
    sender = null;
    store("remove", KEY_SENDER);
  }

  function askDelete() {
    ui.confirm.hidden = false;
    ui.confirmNo.focus();
  }

  function cancelDelete() {
    ui.confirm.hidden = true;
    ui.deleteButton.focus();
  }

  function deleteConversation() {
    var done = function () {
      forgetConversation();
      ui.log.textContent = "";
      ui.confirm.hidden = true;
      addNote(T.deleted, false);
      ui.input.focus();
    };
    if (!sender) { done(); return; }
    api("DELETE", "/conversation/" + encodeURIComponent(sender)).then(function (result) {
      if (result.ok) { done(); return; }
      ui.confirm.hidden = true;
      addNote(T.delete_failed, true);
      ui.deleteButton.focus();
    }, function () {
      ui.confirm.hidden = true;
      addNote(T.delete_failed, true);
      ui.deleteButton.focus();
    });
  }

  // ---------------------------------------------------------------- start

  // The style sheet is ours, from the same origin as this script (no CDN).
  function loadStyle() {
    return new Promise(function (resolve) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = ORIGIN + "/widget/chat.css";
      css.onload = resolve;
      css.onerror = resolve;
      document.head.appendChild(css);
    });
  }

  function start() {
    Promise.all([api("GET", "/texts"), loadStyle()]).then(function (results) {
      var result = results[0];
      if (!result.ok || !result.data.texts) { throw new Error("texts " + result.status); }
      T = result.data.texts;
      maxChars = (result.data.limits && result.data.limits.max_message_chars) || maxChars;
      var title = script.getAttribute("data-title");
      build(title || T.launcher, title || T.title);
      return restore().then(function () {
        if (store("get", KEY_OPEN) === "1") { open(); }
        ui.root.setAttribute("data-ready", "true");
      });
    }).catch(function (error) {
      if (window.console) { window.console.error("Chat widget not started:", error); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
