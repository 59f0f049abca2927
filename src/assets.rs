//! The web page, embedded at build time from `src/web/`: the HTML, the stylesheet, and the
//! ES modules the page imports (relative imports, so they also work under `--base-path`).

/// The page's script modules, by their name under `/_logview/`.
const MODULES: &[(&str, &str)] = &[
    ("app.js", include_str!("web/app.js")),
    ("api.js", include_str!("web/api.js")),
    ("dom.js", include_str!("web/dom.js")),
    ("browser.js", include_str!("web/browser.js")),
    ("viewer/state.js", include_str!("web/viewer/state.js")),
    ("viewer/viewer.js", include_str!("web/viewer/viewer.js")),
    ("viewer/conn.js", include_str!("web/viewer/conn.js")),
    ("viewer/rows.js", include_str!("web/viewer/rows.js")),
    ("viewer/filter.js", include_str!("web/viewer/filter.js")),
    (
        "viewer/scrollback.js",
        include_str!("web/viewer/scrollback.js"),
    ),
    ("viewer/position.js", include_str!("web/viewer/position.js")),
    ("viewer/search.js", include_str!("web/viewer/search.js")),
    ("viewer/timeline.js", include_str!("web/viewer/timeline.js")),
    ("viewer/merged.js", include_str!("web/viewer/merged.js")),
    ("viewer/family.js", include_str!("web/viewer/family.js")),
    ("viewer/levels.js", include_str!("web/viewer/levels.js")),
    ("viewer/entries.js", include_str!("web/viewer/entries.js")),
    ("viewer/options.js", include_str!("web/viewer/options.js")),
    ("viewer/json.js", include_str!("web/viewer/json.js")),
    ("viewer/title.js", include_str!("web/viewer/title.js")),
    ("viewer/colours.js", include_str!("web/viewer/colours.js")),
    ("viewer/menu.js", include_str!("web/viewer/menu.js")),
    ("viewer/times.js", include_str!("web/viewer/times.js")),
];

/// `(content type, body)` of an asset under `/_logview/`.
pub fn get(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "style.css" => ("text/css; charset=utf-8", include_str!("web/style.css")),
        "favicon.svg" => ("image/svg+xml", include_str!("web/favicon.svg")),
        _ => {
            let (_, body) = MODULES.iter().find(|(n, _)| *n == name)?;
            ("text/javascript; charset=utf-8", body)
        }
    })
}

/// The single page: file list at `/` and directories, the viewer at a file's path.
const PAGE: &str = include_str!("web/index.html");

/// The page for a server under `base` (`""` or a validated `/prefix`): asset links carry the
/// prefix and a `logview-base` meta tag tells the script where the server lives.
pub fn page(base: &str) -> String {
    PAGE.replace("\"/_logview/", &format!("\"{base}/_logview/"))
        .replacen(
            "<head>",
            &format!("<head>\n<meta name=\"logview-base\" content=\"{base}\">"),
            1,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_is_served_as_javascript() {
        for (name, _) in MODULES {
            assert_eq!(get(name).unwrap().0, "text/javascript; charset=utf-8");
        }
        assert!(get("main.js").is_none());
        assert!(get("../app.js").is_none());
    }
}
