// /api/docs: Swagger UI from our own static files (npm swagger-ui-dist), configured here rather than in an
// inline script so the page works under a Content-Security-Policy without 'unsafe-inline'.
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function start() {
    const root = document.getElementById("swagger-ui");
    window.SwaggerUIBundle({
      url: root.dataset.openapiUrl,
      domNode: root,
      deepLinking: true,
      layout: "BaseLayout",
      presets: [window.SwaggerUIBundle.presets.apis],
      // no call to validator.swagger.io: the page makes requests to this server only
      validatorUrl: null,
      // "Try it out" with the browser session: unsafe methods need the CSRF token (a Bearer token needs none)
      requestInterceptor: function (request) {
        const token = csrfToken();
        if (token && !(request.headers && request.headers.Authorization)) {
          request.headers["X-CSRFToken"] = token;
        }
        return request;
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
