// The API reference frame of the API section (ApiPage.svelte). Swagger UI draws the OpenAPI
// document here, in a sandboxed frame of its own: it is older code that assigns to methods
// Object.prototype already has, which the window's frozen prototype (Tauri's freezePrototype)
// refuses; the frame is a realm of its own, without the window's IPC, and talks to the window
// by messages only. The window's CSP holds here too (the frame inherits it), so every
// violation is reported to the window, which shows it.
'use strict';

const violations = [];
let rendered = false;

function report() {
  parent.postMessage({ kind: 'keysmith-reference', rendered, violations }, '*');
}

document.addEventListener('securitypolicyviolation', (event) => {
  violations.push(`${event.violatedDirective} ${event.blockedURI}`);
  report();
});

/**
 * `node` with every reference into the document (`#/components/…`) replaced by what it names.
 * Swagger UI resolves references against the page's address, which a frame of the app's own
 * scheme cannot give it; the document refers only to itself, so nothing is lost.
 */
function inline(node, root, expanding = []) {
  if (Array.isArray(node)) return node.map((item) => inline(item, root, expanding));
  if (!node || typeof node !== 'object') return node;
  const ref = node.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/') && !expanding.includes(ref)) {
    const target = ref
      .slice(2)
      .split('/')
      .reduce((at, key) => at?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], root);
    if (target !== undefined) return inline(target, root, [...expanding, ref]);
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inline(value, root, expanding)]));
}

window.addEventListener('message', (event) => {
  const data = event.data;
  if (event.source !== parent || !data || typeof data.openapi !== 'string' || rendered) return;
  document.documentElement.classList.toggle('dark-mode', data.dark === true);
  window.SwaggerUIBundle({
    domNode: document.getElementById('reference'),
    spec: (() => {
      const document = JSON.parse(data.openapi);
      return inline(document, document);
    })(),
    // Nothing to try out: the window may not call the API, and neither may this frame.
    supportedSubmitMethods: [],
    validatorUrl: null,
    deepLinking: false,
    defaultModelsExpandDepth: -1,
    docExpansion: 'list',
  });
  rendered = true;
  report();
});
