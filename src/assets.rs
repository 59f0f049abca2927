//! The web page, embedded at build time from `src/web/`.

/// `(content type, body)` of an asset under `/_logview/`.
pub fn get(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "app.js" => ("text/javascript; charset=utf-8", include_str!("web/app.js")),
        "style.css" => ("text/css; charset=utf-8", include_str!("web/style.css")),
        "favicon.svg" => ("image/svg+xml", include_str!("web/favicon.svg")),
        _ => return None,
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
