/* Hides and shows survey questions as people answer, following each question's conditions.
   Only a convenience: without it every question is shown with a note saying when to answer it,
   and the server discards answers to questions the conditions hide. Mirrors consult/surveys/conditions.py. */
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) {
    return;
  }
  var questions = Array.prototype.slice.call(form.querySelectorAll(".survey-question"));

  function answerOf(name) {
    var values = [];
    var list = false;
    form.querySelectorAll("[name]").forEach(function (element) {
      var field = element.name;
      var isMatrix = field.indexOf(name + ".") === 0;
      if (field !== name && field !== name + "_file" && !isMatrix && field.indexOf(name + "_rank") !== 0) {
        return;
      }
      if (element.type === "checkbox" || isMatrix || field.indexOf(name + "_rank") === 0) {
        list = true;
      }
      if ((element.type === "radio" || element.type === "checkbox") && !element.checked) {
        return;
      }
      var value = element.type === "file" ? (element.files.length ? element.files[0].name : "") : element.value;
      if (!value || !value.trim()) {
        return;
      }
      values.push(isMatrix ? field.slice(name.length + 1) + ":" + value : value);
    });
    return { values: values, list: list };
  }

  function same(left, right) {
    left = String(left).trim();
    right = String(right).trim();
    if (left.toLowerCase() === right.toLowerCase()) {
      return true;
    }
    var a = Number(left);
    var b = Number(right);
    return left !== "" && right !== "" && !isNaN(a) && !isNaN(b) && a === b;
  }

  function equals(answer, expected) {
    return answer.values.length === 1 && same(answer.values[0], expected);
  }

  function holds(rule, answer) {
    if (answer.values.length === 0) {
      return false;
    }
    switch (rule.operator) {
      case "answered":
        return true;
      case "equals":
        return equals(answer, rule.value);
      case "not_equals":
        return !equals(answer, rule.value);
      case "contains":
        if (answer.list) {
          return answer.values.some(function (item) { return same(item, rule.value); });
        }
        return rule.value.trim() !== "" &&
          answer.values[0].toLowerCase().indexOf(rule.value.trim().toLowerCase()) !== -1;
      default:
        return false;
    }
  }

  function update() {
    var shown = {};
    questions.forEach(function (question) {
      var name = "q" + question.id.replace("question-", "");
      var rules = JSON.parse(question.getAttribute("data-show-if") || "[]");
      var visible = rules.every(function (rule) {
        return shown[rule.source] === true && holds(rule, answerOf(rule.source));
      });
      shown[name] = visible;
      question.hidden = !visible;
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
