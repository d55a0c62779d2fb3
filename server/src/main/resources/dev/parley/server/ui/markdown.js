// Model output as markdown, rendered safely. Three walls: raw HTML in the text is shown as text (never
// parsed), links other than http(s), mailto and in-page ones are shown as their markdown text, and the
// result still passes DOMPurify. Behind them the page's Content-Security-Policy allows no inline script.
const SAFE_HREF = /^(https?:\/\/|mailto:|#)/i;

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

let parser = null;

function markdown() {
  if (parser) return parser;
  parser = new window.marked.Marked({ gfm: true, async: false });
  parser.use({
    renderer: {
      html(token) {
        return escapeHtml(token.raw ?? token.text ?? "");
      },
      link(token) {
        return SAFE_HREF.test((token.href ?? "").trim()) ? false : escapeHtml(token.raw);
      },
      image(token) {
        // the page fetches nothing a model names: an image is shown as its markdown
        return escapeHtml(token.raw);
      },
    },
  });
  return parser;
}

/** Renders markdown into the element: sanitized, links opened apart, code blocks highlighted with a copy button. */
export function renderInto(element, text) {
  const html = markdown().parse(text);
  element.innerHTML = window.DOMPurify.sanitize(html, {
    USE_PROFILE: { html: true },
    FORBID_TAGS: ["style", "img", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["style", "srcset"],
  });
  for (const a of element.querySelectorAll("a[href]")) {
    if (!SAFE_HREF.test(a.getAttribute("href"))) {
      a.replaceWith(document.createTextNode(a.textContent));
      continue;
    }
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  }
  for (const code of element.querySelectorAll("pre > code")) {
    if (window.hljs) window.hljs.highlightElement(code);
    addCopyButton(code.parentElement, code);
  }
}

function addCopyButton(pre, code) {
  const wrap = document.createElement("div");
  wrap.className = "code-block";
  pre.replaceWith(wrap);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = "Copy";
  button.setAttribute("aria-label", "Copy this code");
  button.addEventListener("click", async () => {
    const text = code.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // no clipboard API (an insecure origin): select the code so that Ctrl+C copies it
      const range = document.createRange();
      range.selectNodeContents(code);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = "Copy"), 1500);
  });
  wrap.append(button, pre);
}
