/* Saves the survey answer form as a draft every 30 seconds and when the page is left.
   Without this script the "Save draft" button does the same. Files are sent only with the buttons. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var INTERVAL_MS = 30000;
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("autosave-status");
  var versionInput = form.querySelector('input[name="version"]');
  var tokenInput = form.querySelector('input[name="csrf_token"]');
  var changed = false;
  var saving = false;
  var stopped = false;
  var waitingSubmitter = null;

  function say(text) {
    if (status && text) {
      status.textContent = text;
    }
  }

  function payload() {
    var data = new FormData(form);
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      data.delete(input.name);
    });
    data.delete("action");
    return data;
  }

  function finished() {
    saving = false;
    if (waitingSubmitter !== null) {
      var submitter = waitingSubmitter;
      waitingSubmitter = null;
      stopped = true;
      if (form.requestSubmit) {
        form.requestSubmit(submitter);
      } else {
        form.submit();
      }
    }
  }

  function save(leaving) {
    if (!changed || saving || stopped) {
      return;
    }
    saving = true;
    changed = false;
    fetch(url, {
      method: "POST",
      body: payload(),
      headers: { "X-CSRFToken": tokenInput.value, Accept: "application/json" },
      credentials: "same-origin",
      keepalive: leaving === true
    })
      .then(function (response) {
        return response.json().catch(function () {
          return {};
        }).then(function (body) {
          return { code: response.status, body: body };
        });
      })
      .then(function (result) {
        if (result.code === 200) {
          versionInput.value = result.body.version;
          say(result.body.message);
        } else {
          // 409 (someone else saved, or the survey closed) and 403 stop autosaving; the buttons explain.
          stopped = result.code === 409 || result.code === 403;
          changed = !stopped;
          say(result.body.error || form.getAttribute("data-autosave-failed"));
        }
        finished();
      })
      .catch(function () {
        changed = true;
        say(form.getAttribute("data-autosave-failed"));
        finished();
      });
  }

  form.addEventListener("input", function () {
    changed = true;
  });
  form.addEventListener("change", function () {
    changed = true;
  });
  form.addEventListener("submit", function (event) {
    if (saving) {
      // Let the automatic save finish first, so the button's save starts from the version it produced.
      event.preventDefault();
      waitingSubmitter = event.submitter || null;
      return;
    }
    stopped = true;
  });
  window.setInterval(save, INTERVAL_MS);
  window.addEventListener("pagehide", function () {
    save(true);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      save(true);
    }
  });
})();
