// A line's own 256-colour and truecolor ANSI text colours (the server writes them as
// `style='color:#rrggbb'`) made readable on the page: each is given, once per colour and
// theme (cached), the nearest colour towards black (light theme) or white (dark theme) that
// reaches 4.5:1 against the page and a hovered line. The stylesheet picks the theme's one
// (class `own-fg`, properties --fg-light and --fg-dark). A colour set on its own background
// is left as the line chose it. No layout reads: only the row's style attributes.

/** Backgrounds a line's text sits on: the page and a hovered line, per theme. */
const BACKGROUNDS = { light: ["#ffffff", "#f1f2f4"], dark: ["#0d1117", "#1c2128"] };
const TOWARDS = { light: [0, 0, 0], dark: [255, 255, 255] };
const MIN_CONTRAST = 4.5;

const OWN_HEX = /(?:^|;)\s*color:\s*#([0-9a-f]{6})\b/i;
const OWN_BACKGROUND = /(?:^|;)\s*background/i;

/** `#rrggbb` -> [r, g, b]. */
const rgbOf = (hex) => [0, 2, 4].map((i) => parseInt(hex.slice(i + 1, i + 3), 16));
const hexOf = (rgb) => "#" + rgb.map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");

function luminance([r, g, b]) {
  const lin = (v) => {
    const x = v / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio of two [r, g, b] colours. */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `hex` moved towards the theme's far end until it reads on all of the theme's backgrounds. */
function safeFor(hex, theme) {
  const from = rgbOf(hex);
  const bgs = BACKGROUNDS[theme].map(rgbOf);
  const to = TOWARDS[theme];
  for (let t = 0; t <= 1; t += 0.05) {
    const c = from.map((v, i) => v + (to[i] - v) * t);
    if (bgs.every((bg) => contrast(c, bg) >= MIN_CONTRAST)) return hexOf(c);
  }
  return hexOf(to);
}

/** `#rrggbb` -> [light, dark], each computed once. */
const cache = new Map();

export function safeColours(hex) {
  const key = hex.toLowerCase();
  let pair = cache.get(key);
  if (!pair) {
    pair = [safeFor(key, "light"), safeFor(key, "dark")];
    cache.set(key, pair);
  }
  return pair;
}

/** Gives the own-coloured spans of a line row's node (made from `html`) their safe colours. */
export function fixColours(node, html) {
  if (!html.includes("color:#")) return;
  for (const span of node.querySelectorAll("span[style]")) {
    const style = span.getAttribute("style");
    const m = OWN_HEX.exec(style);
    if (!m || OWN_BACKGROUND.test(style)) continue;
    const [light, dark] = safeColours("#" + m[1]);
    span.classList.add("own-fg");
    span.style.setProperty("--fg-light", light);
    span.style.setProperty("--fg-dark", dark);
  }
}
