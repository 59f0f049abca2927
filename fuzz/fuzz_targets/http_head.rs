//! `http::parse` on arbitrary bytes.
//!
//! Asserts: no panic; a complete head has `len <= data.len()`; the accessors
//! (`param`, `header`, `header_has`) never panic; header names are lower-case and values are
//! trimmed; the path carries neither `?` nor `#`; only `Malformed`/`HeadTooLarge` are
//! returned; the result depends only on the head (`data[..len]` parses to the same request,
//! whatever follows it); and every proper prefix of a complete head is `Ok(None)` ("need more
//! bytes"), because `read_request` parses a growing buffer and would otherwise refuse a valid
//! head that arrives in several packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logview::http::refusal::Refusal;
use logview::http::{Request, parse};

fn same(a: &Request, b: &Request) -> bool {
    a.method == b.method && a.path == b.path && a.query == b.query && a.headers == b.headers
}

fuzz_target!(|data: &[u8]| {
    let (req, len) = match parse(data) {
        Ok(Some(found)) => found,
        Ok(None) => return,
        Err(r) => {
            assert!(
                matches!(r, Refusal::Malformed(_) | Refusal::HeadTooLarge),
                "unexpected refusal {r:?}"
            );
            return;
        }
    };
    assert!(
        len <= data.len(),
        "head length {len} > input {}",
        data.len()
    );
    assert!(len > 0);

    // Accessors the router uses must not panic.
    let _ = req.param("lines");
    let _ = req.param("tail");
    let _ = req.param("path");
    let _ = req.header("host");
    let _ = req.header_has("connection", "upgrade");
    let _ = req.header_has("upgrade", "websocket");
    let _ = logview::source::sandbox::decode(&req.path);

    assert!(
        !req.path.contains('?') && !req.path.contains('#'),
        "{:?}",
        req.path
    );
    for (name, value) in &req.headers {
        assert_eq!(
            *name,
            name.to_ascii_lowercase(),
            "header name not lower-cased"
        );
        assert_eq!(value, value.trim(), "header value not trimmed");
    }

    // The head alone gives the same request and length.
    let (again, len2) = parse(&data[..len])
        .expect("head alone refused")
        .expect("head alone incomplete");
    assert_eq!(len, len2);
    assert!(same(&req, &again), "{req:?} != {again:?}");

    // Every proper prefix of the head asks for more bytes. All prefixes for short heads,
    // a sample of them for long ones (keeps executions fast).
    let check = |n: usize| {
        let r = parse(&data[..n]);
        assert!(
            matches!(r, Ok(None)),
            "prefix of {n}/{len} bytes of a complete head gave {:?}",
            r.map(|o| o.map(|(_, l)| l))
        );
    };
    if len <= 512 {
        (0..len).for_each(check);
    } else {
        let step = len / 64;
        (0..len).step_by(step).for_each(check);
        (len - 16..len).for_each(check);
    }
});
