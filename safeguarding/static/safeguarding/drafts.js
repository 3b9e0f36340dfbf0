// Drafts of long forms (docs/security.md, "Drafts"). A form with data-draft-url is saved to the
// server about every 20 seconds while its text changes, and when the page is left; when its
// author comes back to it, the draft is offered: restore or discard. Nothing is kept in the
// browser's own storage. Saving is no activity for the idle sign-out (X-Background), and a save
// refused because the session ended says to copy the text and sign in again.
"use strict";
(() => {
  const EVERY_MS = 20000;
  const NOT_KEPT = new Set(["csrfmiddlewaretoken", "q"]); // the token; the pupil search box

  const csrf = (form) => {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  const fieldsOf = (form) => {
    const fields = {};
    new FormData(form).forEach((value, name) => {
      if (NOT_KEPT.has(name) || typeof value !== "string") return; // files are never kept
      (fields[name] = fields[name] || []).push(value);
    });
    return fields;
  };

  // Whether a draft holds anything the form does not show now (the server keeps only some fields,
  // and a concern's body-map marks apart from them).
  const differs = (draft, shown) =>
    Object.entries(draft.fields).some(
      ([name, values]) => JSON.stringify(values) !== JSON.stringify(shown[name] || []),
    ) ||
    JSON.stringify((draft.marks || []).map((mark) => [mark.view, mark.note])) !==
      JSON.stringify(
        (shown.mark_view || []).map((view, index) => [view, (shown.mark_note || [])[index]]),
      );

  const setUp = (form) => {
    const url = form.dataset.draftUrl;
    const notice = document.createElement("div");
    notice.className = "draft-notice";
    notice.hidden = true;
    const status = document.createElement("p");
    status.className = "draft-status";
    const problem = document.createElement("p");
    problem.className = "field-error";
    problem.setAttribute("role", "alert");
    form.prepend(notice);
    form.append(status, problem);

    let sent = JSON.stringify(fieldsOf(form));
    let submitting = false;
    let stopped = false;

    const refused = (response) =>
      response
        .json()
        .catch(() => ({}))
        .then((data) => {
          if (response.status === 429) return; // saved a moment ago: the next turn saves
          if (response.status === 401 || response.status === 403) {
            stopped = true;
            problem.textContent =
              "You have been signed out, so this draft could not be saved. Copy your text " +
              "somewhere safe, sign in again in a new tab, then paste it back.";
          } else {
            problem.textContent = data.error || "Your draft could not be saved just now.";
          }
        });

    const save = (leaving) => {
      if (submitting || stopped) return;
      const fields = JSON.stringify(fieldsOf(form));
      if (fields === sent) return;
      fetch(url, {
        method: "POST",
        body: fields,
        credentials: "same-origin",
        keepalive: leaving,
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": csrf(form),
          "X-Background": "autosave",
        },
      })
        .then((response) => {
          if (!response.ok) return refused(response);
          return response.json().then((data) => {
            sent = fields;
            problem.textContent = "";
            status.textContent = data.saved_at_text ? `Draft saved at ${data.saved_at_text}.` : "";
          });
        })
        .catch(() => {
          if (!leaving) problem.textContent = "Your draft could not be saved just now.";
        });
    };

    const restore = (draft) => {
      const chosen = form.querySelector("#chosen-pupils");
      Object.entries(draft.fields).forEach(([name, values]) => {
        const inputs = [...form.elements].filter((element) => element.name === name);
        if (name === "pupils" && chosen) {
          values.forEach((id) => {
            if (inputs.some((input) => input.value === id) || !draft.pupils[id]) return;
            const item = document.createElement("li");
            const label = document.createElement("label");
            const box = document.createElement("input");
            Object.assign(box, { type: "checkbox", name: "pupils", value: id, checked: true });
            label.append(box, ` ${draft.pupils[id]}`);
            item.append(label);
            chosen.append(item);
          });
        }
        inputs.forEach((input) => {
          if (input.type === "checkbox" || input.type === "radio") {
            input.checked = values.includes(input.value);
          } else if (input.type !== "file") {
            input.value = values[0] || "";
          }
          const details = input.closest("details");
          if (details && values.some((value) => value.trim())) details.open = true;
        });
      });
      // The body map draws its own marks (concern-form.js): it is handed the draft's.
      form.dispatchEvent(new CustomEvent("draft:marks", { detail: draft.marks || [] }));
    };

    const offer = (draft) => {
      notice.replaceChildren();
      const text = document.createElement("p");
      text.textContent = `You have an unsent draft from ${draft.saved_at_text}.`;
      const restoreButton = document.createElement("button");
      restoreButton.type = "button";
      restoreButton.className = "button";
      restoreButton.textContent = "Restore it";
      const discardButton = document.createElement("button");
      discardButton.type = "button";
      discardButton.className = "button button--secondary";
      discardButton.textContent = "Discard it";
      notice.append(text, restoreButton, discardButton);
      notice.hidden = false;
      const details = form.closest("details");
      if (details) details.open = true;
      restoreButton.addEventListener("click", () => {
        restore(draft);
        sent = JSON.stringify(fieldsOf(form));
        text.textContent = `Your draft from ${draft.saved_at_text} is back in the form.`;
        restoreButton.remove();
        discardButton.remove();
        text.setAttribute("tabindex", "-1");
        text.focus();
      });
      discardButton.addEventListener("click", () => {
        fetch(`${url}discard/`, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrf(form), "X-Background": "autosave" },
        }).then((response) => {
          if (!response.ok) return refused(response);
          notice.hidden = true;
          form.querySelector("input:not([type=hidden]), textarea, select")?.focus();
        });
      });
    };

    // A form just refused already shows what was sent: no older draft is offered over it.
    if (!form.querySelector(".error-summary")) {
      fetch(url, { credentials: "same-origin", headers: { "X-Background": "autosave" } })
        .then((response) => (response.ok ? response.json() : { draft: null }))
        .then((data) => {
          if (data.draft && differs(data.draft, fieldsOf(form))) offer(data.draft);
        })
        .catch(() => {});
    }

    form.addEventListener("submit", () => {
      submitting = true; // sending the form deletes its draft on the server
    });
    setInterval(() => save(false), EVERY_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") save(true);
    });
    window.addEventListener("pagehide", () => save(true));
  };

  document.querySelectorAll("form[data-draft-url]").forEach(setUp);
})();
