/*
 * Skelleftea kommun chat widget.
 *
 * Embed with one tag (the script brings its own style and markup):
 *   <script src="https://CHAT-HOST/widget/chat.js" defer data-title="Fraga om kommunens service"
 *     data-fallback-texts='{"launcher": ..., "title": ..., "close": ..., "unavailable": ...}'></script>
 *
 * The browser talks only to the app that served this file (/api/...). All text from the
 * bot or the citizen is inserted with textContent; links in bot text are built as <a>
 * elements with DOM APIs, http(s) only. UI text comes from GET /api/texts
 * (data/web_texts.yml); when that fails, the few texts in the tag's data-fallback-texts
 * (rendered from the same file) still give the chat button and the fault message with
 * Kundtjänst's number. The conversation's token (made and signed by the server) lives in
 * sessionStorage, and the conversation is restored from the server after a reload. No
 * request waits longer than the timeout of /api/texts' limits: then the fault message.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__skelleftea_chat_loaded) { return; }
  window.__skelleftea_chat_loaded = true;

  var ORIGIN = new URL(script.src, document.baseURI).origin;
  var KEY_TOKEN = "skelleftea-chat.token";
  var OLD_KEY_SENDER = "skelleftea-chat.sender";  // before tokens: forgotten at start
  var TOKEN_HEADER = "X-Conversation-Token";
  var FORGET_ERRORS = ["invalid_token", "missing_token", "sender_not_accepted"];
  var KEY_OPEN = "skelleftea-chat.open";
  var URL_PATTERN = /https?:\/\/[^\s<>"'`]+/g;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18",
    up: "M7 11v9H4v-9h3zm2 9h8.2a2 2 0 0 0 2-1.6l1.3-6.5A2 2 0 0 0 18.5 10H14l.8-4.2A1.6 1.6 0 0 0 12 4.6L9 10v10z",
    down: "M7 13V4H4v9h3zm2-9h8.2a2 2 0 0 1 2 1.6l1.3 6.5a2 2 0 0 1-2 2.4H14l.8 4.2a1.6 1.6 0 0 1-2.8 1.2L9 14V4z"
  };

  var T = null;             // UI texts from /api/texts, in the conversation's language
  var TEXTS = {};           // every language's UI texts (texts_by_language)
  var uiLang = "sv";        // the widget's own language: follows the bot's answers (sv or en)
  var KEY_LANG = "skelleftea-chat.lang";
  var LANGS = ["sv", "en", "fi", "se"];  // the languages a bubble may be marked with
  var bound = [];           // [node, attribute or "text", key of T]: relabelled on a switch
  var R = null;             // the report form's texts (/api/texts "report")
  var maxDescription = 2000;
  var maxChars = 1000;
  var timeoutMs = 15000;    // until /api/texts says otherwise (limits.timeout_seconds)
  var token = store("get", KEY_TOKEN);
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

  // A node whose text (or attribute) is T[key]: set now, and again when the language changes.
  function bind(node, attribute, key) {
    bound.push([node, attribute, key]);
    return node;
  }

  function applyTexts() {
    bound.forEach(function (item) {
      var value = T[item[2]];
      if (typeof value !== "string") { return; }
      if (item[1] === "text") { item[0].textContent = value; }
      else { item[0].setAttribute(item[1], value); }
    });
  }

  // The widget's own texts follow the language the bot answers in (Swedish or English);
  // every bubble also carries its own lang, so a screen reader picks the right voice.
  function setLanguage(lang) {
    var next = TEXTS[lang] ? lang : "sv";
    if (next === uiLang && T === TEXTS[next]) { return; }
    uiLang = next;
    T = TEXTS[next];
    store("set", KEY_LANG, next);
    if (ui.root) { ui.root.setAttribute("lang", next); applyTexts(); }
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

  // Resolves with {ok, status, data}; rejects when the network fails or nothing (headers
  // and body) has come within timeoutMs, so no caller ever waits for good.
  function api(method, path, body, withToken) {
    var options = { method: method, headers: { "Accept": "application/json" }, credentials: "omit" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (withToken && token) { options.headers[TOKEN_HEADER] = token; }
    var controller = window.AbortController ? new AbortController() : null;
    if (controller) { options.signal = controller.signal; }
    var timer = null;
    var timeout = new Promise(function (resolve, reject) {
      timer = window.setTimeout(function () {
        if (controller) { controller.abort(); }
        reject(new Error("no answer within " + timeoutMs + " ms"));
      }, timeoutMs);
    });
    var request = fetch(ORIGIN + "/api" + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data || {} };
      });
    });
    return Promise.race([request, timeout]).then(function (result) {
      window.clearTimeout(timer);
      return result;
    }, function (error) {
      window.clearTimeout(timer);
      throw error;
    });
  }

  function scrollToEnd() {
    ui.scroll.scrollTop = ui.scroll.scrollHeight;
  }

  // ---------------------------------------------------------------- building the UI

  function build(launcherText, title, fixedTitle) {
    ui.root = el("div", { className: "skw-root", lang: uiLang });
    // A title from the page's data-title is in the page's language, whatever the chat's.
    var titleLang = fixedTitle ? (document.documentElement.lang || "sv") : null;
    var launcherLabel = el("span", { text: launcherText, lang: titleLang });
    if (!fixedTitle) { bind(launcherLabel, "text", "launcher"); }

    ui.launcher = el("button", {
      type: "button", className: "skw-launcher", "aria-expanded": "false",
      "aria-controls": "skw-panel"
    }, [icon("chat"), launcherLabel]);

    ui.close = bind(el("button", {
      type: "button", className: "skw-header-button skw-close", "aria-label": T.close
    }, [icon("close")]), "aria-label", "close");
    ui.deleteButton = bind(el("button", {
      type: "button", className: "skw-linkbutton skw-delete", text: T["delete"]
    }), "text", "delete");
    ui.saveButton = bind(el("button", {
      type: "button", className: "skw-linkbutton skw-save", text: T.save
    }), "text", "save");

    ui.confirmYes = bind(el("button", {
      type: "button", className: "skw-button skw-button--danger", text: T.delete_yes,
      "aria-describedby": "skw-confirm-text"
    }), "text", "delete_yes");
    ui.confirmNo = bind(el("button", {
      type: "button", className: "skw-button", text: T.delete_no,
      "aria-describedby": "skw-confirm-text"
    }), "text", "delete_no");
    ui.confirm = el("div", { className: "skw-confirm", hidden: true }, [
      bind(el("p", { id: "skw-confirm-text", text: T.delete_confirm }), "text", "delete_confirm"),
      el("div", { className: "skw-confirm-actions" }, [ui.confirmYes, ui.confirmNo])
    ]);

    ui.log = bind(el("div", {
      className: "skw-log", role: "log", "aria-live": "polite", "aria-label": T.log_label
    }), "aria-label", "log_label");
    addDisclosure();
    ui.scroll = el("div", { className: "skw-scroll" }, [
      el("section", { className: "skw-notice", "aria-labelledby": "skw-notice-heading" }, [
        bind(el("h3", { id: "skw-notice-heading", text: T.privacy_heading }), "text", "privacy_heading"),
        bind(el("p", { text: T.privacy_notice }), "text", "privacy_notice")
      ]),
      el("div", { className: "skw-log-intro" }, [
        bind(el("p", { className: "skw-msg skw-msg--bot", text: T.welcome }), "text", "welcome")
      ]),
      ui.log
    ]);

    ui.typing = el("div", { className: "skw-typing", "aria-hidden": "true", hidden: true },
      [el("span"), el("span"), el("span")]);
    ui.status = el("p", { className: "skw-vh", role: "status" });

    ui.input = bind(el("input", {
      id: "skw-input", className: "skw-input", type: "text", autocomplete: "off",
      placeholder: T.input_placeholder, "aria-describedby": "skw-error skw-count"
    }), "placeholder", "input_placeholder");
    ui.send = bind(el("button", { type: "submit", className: "skw-send", text: T.send }), "text", "send");
    ui.error = el("p", { id: "skw-error", className: "skw-error", role: "alert", hidden: true });
    ui.count = el("p", { id: "skw-count", className: "skw-count", hidden: true });
    ui.form = el("form", { className: "skw-form", novalidate: true }, [
      bind(el("label", { "for": "skw-input", text: T.input_label }), "text", "input_label"),
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
          fixedTitle ? el("h2", { id: "skw-title", className: "skw-title", text: title, lang: titleLang })
            : bind(el("h2", { id: "skw-title", className: "skw-title", text: title }), "text", "title"),
          bind(el("p", { className: "skw-subtitle", text: T.subtitle }), "text", "subtitle")
        ]),
        ui.close
      ]),
      ui.scroll,
      ui.typing,
      ui.status,
      ui.form,
      el("div", { className: "skw-footer" }, [ui.saveButton, ui.deleteButton, ui.confirm])
    ]);

    ui.root.appendChild(ui.launcher);
    ui.root.appendChild(ui.panel);
    document.body.appendChild(ui.root);

    ui.launcher.addEventListener("click", open);
    ui.close.addEventListener("click", close);
    ui.deleteButton.addEventListener("click", askDelete);
    ui.saveButton.addEventListener("click", saveConversation);
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

  // The hidden "You:" / "Chatbot:" prefix is in the widget's language, whatever the bubble's.
  function prefix(text) {
    return el("span", { className: "skw-vh", lang: uiLang, text: text + " " });
  }

  function addUserMessage(text, lang) {
    var node = el("p", { className: "skw-msg skw-msg--user", lang: lang || null }, [
      prefix(T.you),
      document.createTextNode(text)
    ]);
    ui.log.appendChild(node);
    return node;
  }

  function addBotText(text, lang) {
    var node = el("p", { className: "skw-msg skw-msg--bot", lang: lang || null }, [
      prefix(T.bot)
    ]);
    appendLinkified(node, text);
    ui.log.appendChild(node);
  }

  // The bot says first that it is an automated chatbot, not a person, and how to reach
  // one: the log's first message, before any question. The same sentence in an answer
  // (the first reply of a session) is not shown twice.
  function addDisclosure() {
    if (!T.ai_disclosure) { return; }
    // The session's disclosure is said before the language is known: always the Swedish
    // text, so it says so when the widget around it turns English (WCAG 3.1.2).
    var node = el("p", { className: "skw-msg skw-msg--bot skw-disclosure", lang: "sv" }, [
      el("span", { className: "skw-vh", text: T.bot + " " })
    ]);
    appendLinkified(node, T.ai_disclosure);
    ui.log.appendChild(node);
  }

  function isDisclosure(text) {
    return Boolean(T.ai_disclosure) && text === T.ai_disclosure;
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

  function addCard(card, lang) {
    var promises = Array.isArray(card.promises) ? card.promises.filter(function (p) {
      return p && typeof p.text === "string";
    }) : [];
    var timed = promises.filter(function (p) { return p.commitment; });
    var others = promises.filter(function (p) { return !p.commitment; });
    var name = String(card.name || "");
    var headingId = "skw-card-" + Math.random().toString(36).slice(2, 10);
    var section = el("section", {
      className: "skw-card", "aria-labelledby": headingId, lang: card.language || lang || null
    }, [
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

  // ---------------------------------------------------------------- reporting a broken promise
  // The bot's answer about a broken promise carries a "report_offer" card: a button that
  // opens this form. The report goes to POST /api/cases, never through the chat (Rasa),
  // so the contact details are stored only with the case.
  var reportServices = null;  // GET /api/report/services, loaded at the first offer used

  function loadReportServices() {
    if (reportServices) { return Promise.resolve(reportServices); }
    return api("GET", "/report/services").then(function (result) {
      if (!result.ok || !Array.isArray(result.data.services)) { throw new Error("services"); }
      reportServices = result.data.services;
      return reportServices;
    });
  }

  function addReportOffer(card) {
    if (!R) { return; }
    var button = el("button", { type: "button", className: "skw-reply skw-report-offer", text: R.offer_button });
    button.addEventListener("click", function () {
      button.setAttribute("aria-disabled", "true");
      loadReportServices().then(function (services) {
        button.removeAttribute("aria-disabled");
        openReportForm(services, String(card.service || ""), button);
      }, function () {
        button.removeAttribute("aria-disabled");
        addNote(R.failed, true);
      });
    });
    ui.log.appendChild(el("div", { className: "skw-replies" }, [button]));
  }

  function field(id, labelText, input) {
    return el("div", { className: "skw-field" }, [el("label", { "for": id, text: labelText }), input]);
  }

  function openReportForm(services, serviceId, opener) {
    var existing = ui.log.querySelector(".skw-report");
    if (existing) { existing.parentNode.removeChild(existing); }
    var select = el("select", { id: "skw-report-service", className: "skw-input" });
    services.forEach(function (service) {
      var option = el("option", { value: service.id, text: service.name });
      if (service.id === serviceId) { option.selected = true; }
      select.appendChild(option);
    });
    var promises = el("fieldset", { className: "skw-fieldset" });
    function showPromises() {
      promises.textContent = "";
      promises.appendChild(el("legend", { text: R.promise_legend }));
      var chosen = services.filter(function (s) { return s.id === select.value; })[0];
      (chosen ? chosen.promises : []).forEach(function (promise, index) {
        var id = "skw-report-promise-" + index;
        promises.appendChild(el("div", { className: "skw-choice" }, [
          el("input", { type: "radio", name: "skw-report-promise", id: id, value: promise.id }),
          el("label", { "for": id, text: promise.text })
        ]));
      });
    }
    select.addEventListener("change", showPromises);
    showPromises();
    var description = el("textarea", {
      id: "skw-report-description", className: "skw-input", rows: "4",
      maxlength: String(maxDescription), "aria-describedby": "skw-report-hint"
    });
    var anonymous = el("input", { type: "radio", name: "skw-report-reply", id: "skw-report-anonymous", value: "no", checked: true });
    var wantsReply = el("input", { type: "radio", name: "skw-report-reply", id: "skw-report-wants", value: "yes" });
    var name = el("input", { id: "skw-report-name", className: "skw-input", type: "text", autocomplete: "name" });
    var email = el("input", { id: "skw-report-email", className: "skw-input", type: "email", autocomplete: "email" });
    var phone = el("input", { id: "skw-report-phone", className: "skw-input", type: "tel", autocomplete: "tel" });
    var contact = el("div", { className: "skw-report-contact", hidden: true }, [
      el("p", { className: "skw-hint", text: R.contact_hint }),
      field("skw-report-name", R.name_label, name),
      field("skw-report-email", R.email_label, email),
      field("skw-report-phone", R.phone_label, phone)
    ]);
    [anonymous, wantsReply].forEach(function (radio) {
      radio.addEventListener("change", function () { contact.hidden = !wantsReply.checked; });
    });
    var error = el("p", { className: "skw-error", role: "alert", hidden: true });
    var submit = el("button", { type: "submit", className: "skw-button skw-button--primary", text: R.submit });
    var cancel = el("button", { type: "button", className: "skw-button", text: R.cancel });
    var form = el("form", { className: "skw-report", novalidate: true, "aria-labelledby": "skw-report-heading" }, [
      el("h3", { id: "skw-report-heading", text: R.heading }),
      el("p", { text: R.intro }),
      field("skw-report-service", R.service_label, select),
      promises,
      field("skw-report-description", R.description_label, description),
      el("p", { id: "skw-report-hint", className: "skw-hint", text: R.description_hint }),
      el("fieldset", { className: "skw-fieldset" }, [
        el("legend", { text: R.reply_legend }),
        el("div", { className: "skw-choice" }, [anonymous, el("label", { "for": "skw-report-anonymous", text: R.anonymous + " " + R.anonymous_hint })]),
        el("div", { className: "skw-choice" }, [wantsReply, el("label", { "for": "skw-report-wants", text: R.wants_reply })])
      ]),
      contact,
      error,
      el("div", { className: "skw-confirm-actions" }, [submit, cancel])
    ]);
    cancel.addEventListener("click", function () {
      form.parentNode.removeChild(form);
      if (opener) { opener.focus(); }
    });
    var sending = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) { return; }
      var promise = form.querySelector("input[name='skw-report-promise']:checked");
      var body = {
        token: token,
        service: select.value,
        promise: promise ? promise.value : "",
        description: description.value,
        wants_reply: wantsReply.checked
      };
      if (wantsReply.checked) { body.contact = { name: name.value, email: email.value, phone: phone.value }; }
      sending = true;
      submit.setAttribute("aria-disabled", "true");
      submit.textContent = R.sending;
      var done = function () {
        sending = false;
        submit.removeAttribute("aria-disabled");
        submit.textContent = R.submit;
      };
      api("POST", "/cases", body).then(function (result) {
        done();
        if (result.ok && typeof result.data.number === "string") {
          form.parentNode.removeChild(form);
          var text = (result.data.wants_reply ? R.registered_reply : R.registered).replace("{number}", result.data.number);
          ui.log.appendChild(el("p", { className: "skw-msg skw-msg--bot skw-case-number", text: text }));
          scrollToEnd();
          ui.input.focus();
          return;
        }
        error.hidden = false;
        error.textContent = result.data.message || R.failed;
      }, function () {
        done();
        error.hidden = false;
        error.textContent = R.failed;
      });
    });
    ui.log.appendChild(form);
    scrollToEnd();
    select.focus();
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
        api("POST", "/feedback", { token: token, turn: turn, rating: value }).then(function (result) {
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
  // Returns how many messages it could show.
  function addAnswer(messages, turn, rating, showReplies, lang) {
    var replies = null;
    var shown = 0;
    messages.forEach(function (message) {
      if (!message) { return; }
      if (typeof message.text === "string" && message.text && !isDisclosure(message.text)) {
        addBotText(message.text, lang); shown++;
      }
      if (message.custom && message.custom.type === "promise_card") { addCard(message.custom, lang); shown++; }
      if (message.custom && message.custom.type === "report_offer") { addReportOffer(message.custom); shown++; }
      if (Array.isArray(message.buttons) && message.buttons.length) { replies = message.buttons; }
    });
    if (replies && showReplies) { addReplies(replies); shown++; }
    if (shown && turn) { addFeedback(turn, rating); }
    return shown;
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
    if (token) { body.token = token; }
    api("POST", "/chat", body).then(function (result) {
      setBusy(false);
      if (result.ok) {
        if (typeof result.data.token === "string") {
          token = result.data.token;
          store("set", KEY_TOKEN, token);
        }
        var messages = Array.isArray(result.data.messages) ? result.data.messages : [];
        var lang = typeof result.data.lang === "string" ? result.data.lang : null;
        // the citizen's own words: their language where the bot could tell (not "other")
        if (["sv", "en", "fi", "se"].indexOf(result.data.message_lang) >= 0) {
          bubble.setAttribute("lang", result.data.message_lang);
        }
        // Swedish or English answers set the widget's own language; a fixed Finnish or
        // Sami text does not (the widget has no texts in those languages).
        if (lang === "sv" || lang === "en") { setLanguage(lang); }
        if (!addAnswer(messages, result.data.turn, null, true, lang)) { addNote(T.unavailable, true); }
      } else if (result.status >= 400 && result.status < 500 && result.status !== 429) {
        // Not sent: take the bubble back and let the citizen correct the text.
        bubble.parentNode.removeChild(bubble);
        if (typed) { ui.input.value = message; updateCount(); }
        if (FORGET_ERRORS.indexOf(result.data.error) >= 0) { forgetConversation(); }
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
    if (!token) { return Promise.resolve(); }
    return api("GET", "/conversation", undefined, true).then(function (result) {
      if (!result.ok) {
        if (FORGET_ERRORS.indexOf(result.data.error) >= 0) { forgetConversation(); }
        return;
      }
      var messages = result.data.messages || [];
      var ratings = result.data.ratings || {};
      var group = [];
      var groupTurn = null;
      var flush = function (isLast) {
        // each bubble in the language it was given in (lang="…"), as when it was live
        var lang = group.length && LANGS.indexOf(group[group.length - 1].lang) >= 0 ? group[group.length - 1].lang : null;
        if (group.length) { addAnswer(group, groupTurn, ratings[String(groupTurn)] || null, isLast, lang); }
        if (isLast && (lang === "sv" || lang === "en")) { setLanguage(lang); }
        group = [];
      };
      messages.forEach(function (m) {
        if (m.role === "user") {
          flush(false);
          addUserMessage(m.text || "", LANGS.indexOf(m.lang) >= 0 ? m.lang : null);
          return;
        }
        if (group.length && m.turn !== groupTurn) { flush(false); }
        groupTurn = m.turn;
        group.push(m);
      });
      flush(true);
    }, function () { /* offline or no answer in time: start with an empty log */ });
  }

  // "Spara samtalet": the server's copy (masked as stored, the token in a header, never
  // in the URL), handed to the browser as a text file to download.
  function saveConversation() {
    if (!token) { addNote(T.save_nothing, false); return; }
    var options = { method: "GET", headers: { "Accept": "text/plain" }, credentials: "omit" };
    options.headers[TOKEN_HEADER] = token;
    var controller = window.AbortController ? new AbortController() : null;
    if (controller) { options.signal = controller.signal; }
    var timer = window.setTimeout(function () { if (controller) { controller.abort(); } }, timeoutMs);
    fetch(ORIGIN + "/api/conversation?format=text", options).then(function (response) {
      if (!response.ok) { throw new Error("copy " + response.status); }
      return response.text();
    }).then(function (text) {
      window.clearTimeout(timer);
      var url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
      var anchor = el("a", { href: url, download: T.copy_filename, hidden: true });
      document.body.appendChild(anchor);
      anchor.click();
      document.body.removeChild(anchor);
      window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      ui.status.textContent = T.saved;
    }).catch(function () {
      window.clearTimeout(timer);
      addNote(T.save_failed, true);
    });
  }

  function forgetConversation() {
    token = null;
    store("remove", KEY_TOKEN);
    setLanguage("sv");  // a new conversation starts in Swedish
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
      addDisclosure();
      ui.confirm.hidden = true;
      addNote(T.deleted, false);
      ui.input.focus();
    };
    if (!token) { done(); return; }
    api("DELETE", "/conversation", undefined, true).then(function (result) {
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
  var styleLoaded = null;
  function loadStyle() {
    if (styleLoaded) { return styleLoaded; }
    styleLoaded = new Promise(function (resolve) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = ORIGIN + "/widget/chat.css";
      css.onload = resolve;
      css.onerror = resolve;
      document.head.appendChild(css);
    });
    return styleLoaded;
  }

  // /api/texts failed: the chat button still appears, and opens the fault message with
  // Kundtjänst's number, from the texts in the script tag (data-fallback-texts).
  function buildFault(fallback) {
    var title = script.getAttribute("data-title");
    T = { close: fallback.close || "", typing: "" };
    ui.root = el("div", { className: "skw-root", lang: "sv" });
    ui.launcher = el("button", {
      type: "button", className: "skw-launcher", "aria-expanded": "false",
      "aria-controls": "skw-panel"
    }, [icon("chat"), el("span", { text: title || fallback.launcher })]);
    ui.close = el("button", {
      type: "button", className: "skw-header-button skw-close", "aria-label": fallback.close
    }, [icon("close")]);
    ui.log = el("div", { className: "skw-log", role: "log", "aria-live": "polite" }, [
      el("p", { className: "skw-msg skw-msg--system", text: fallback.unavailable })
    ]);
    ui.scroll = el("div", { className: "skw-scroll" }, [ui.log]);
    ui.input = ui.close;  // the only thing to focus in the panel
    ui.panel = el("div", {
      id: "skw-panel", className: "skw-panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "skw-title", hidden: true
    }, [
      el("div", { className: "skw-header" }, [
        el("div", { className: "skw-heading" }, [
          el("h2", { id: "skw-title", className: "skw-title", text: title || fallback.title })
        ]),
        ui.close
      ]),
      ui.scroll
    ]);
    ui.root.appendChild(ui.launcher);
    ui.root.appendChild(ui.panel);
    document.body.appendChild(ui.root);
    ui.launcher.addEventListener("click", open);
    ui.close.addEventListener("click", close);
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    ui.root.setAttribute("data-ready", "fault");
  }

  function fallbackTexts() {
    try {
      var texts = JSON.parse(script.getAttribute("data-fallback-texts") || "null");
      return texts && typeof texts.unavailable === "string" ? texts : null;
    } catch (e) { return null; }
  }

  function start() {
    store("remove", OLD_KEY_SENDER);
    Promise.all([api("GET", "/texts"), loadStyle()]).then(function (results) {
      var result = results[0];
      if (!result.ok || !result.data.texts) { throw new Error("texts " + result.status); }
      TEXTS = result.data.texts_by_language || { sv: result.data.texts };
      T = result.data.texts;
      R = result.data.report || null;
      if (!TEXTS.sv) { TEXTS.sv = T; }
      var saved = store("get", KEY_LANG);
      if (saved && TEXTS[saved]) { uiLang = saved; T = TEXTS[saved]; }
      var limits = result.data.limits || {};
      maxDescription = limits.max_description_chars || maxDescription;
      maxChars = limits.max_message_chars || maxChars;
      if (limits.timeout_seconds > 0) { timeoutMs = limits.timeout_seconds * 1000; }
      var title = script.getAttribute("data-title");
      build(title || T.launcher, title || T.title, !!title);
      return restore().then(function () {
        if (store("get", KEY_OPEN) === "1") { open(); }
        ui.root.setAttribute("data-ready", "true");
      });
    }).catch(function (error) {
      if (window.console) { window.console.warn("Chat widget without its texts:", error); }
      var fallback = fallbackTexts();
      if (fallback && !ui.root) {
        loadStyle().then(function () { buildFault(fallback); });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
