/* The consumer form shows only the fields that apply to the chosen protocol, authentication and
   identity. Progressive enhancement: without JavaScript every field shows, and each says in its
   help text when it applies (the server ignores and clears those that do not). */
(function () {
  "use strict";

  function row(name) {
    return document.querySelector(".form-row.field-" + name) || document.querySelector(".fieldBox.field-" + name);
  }

  function show(name, visible) {
    var element = row(name);
    if (element) {
      element.hidden = !visible;
    }
  }

  function update() {
    var protocol = document.getElementById("id_protocol");
    var auth = document.getElementById("id_auth_type");
    var identity = document.getElementById("id_identity");
    if (!protocol || !auth) {
      return;
    }
    var caliper = protocol.value === "caliper";
    // The Caliper Sensor API takes a bearer token only.
    var basicOption = auth.querySelector('option[value="basic"]');
    if (basicOption) {
      basicOption.disabled = caliper;
    }
    if (caliper && auth.value === "basic") {
      auth.value = "bearer";
    }
    var basic = auth.value === "basic";
    show("xapi_version", !caliper);
    show("username", basic);
    show("password", basic);
    show("token", !basic);
    if (identity) {
      show("identity_secret", identity.value === "hmac");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    ["id_protocol", "id_auth_type", "id_identity"].forEach(function (id) {
      var select = document.getElementById(id);
      if (select) {
        select.addEventListener("change", update);
      }
    });
    update();
  });
}());
