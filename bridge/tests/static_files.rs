//! The bridge serves the built playground: `/` is index.html, MIME types
//! right (`.wasm` is application/wasm), no directory listing, nothing
//! outside `--serve DIR` (raw HTTP requests, paths sent as written).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::procs::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

/// `GET path` as written; (status, headers lowercased, body).
fn get(addr: &str, path: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, raw[split + 4..].to_vec())
}

fn write(dir: &Path, rel: &str, body: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

#[test]
fn serves_the_app_with_mime_types_and_nothing_else() {
    let dir = work_dir("static");
    let dist = dir.join("dist");
    write(
        &dist,
        "index.html",
        b"<!doctype html><title>erldist</title>",
    );
    write(&dist, "erldist-playground_bg.wasm", b"\0asm\x01\0\0\0");
    write(&dist, "erldist-playground.js", b"export default 1;");
    write(&dist, "style.css", b"body{}");
    write(&dist, "assets/icon.svg", b"<svg/>");
    write(&dist, "assets/deep/notes.txt", b"notes");
    write(&dir, "secret.txt", b"TOP-SECRET");
    let [epmd_port] = free_ports::<1>();
    let b = start_bridge(
        None,
        epmd_port,
        "127.0.0.1:0",
        &["--serve", dist.to_str().unwrap()],
        &dir.join("bridge.log"),
    );
    let addr = b.addr.as_str();

    let (st, head, body) = get(addr, "/");
    assert_eq!(st, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert_eq!(body, b"<!doctype html><title>erldist</title>");
    for (path, mime) in [
        ("/index.html", "text/html"),
        ("/erldist-playground_bg.wasm", "application/wasm"),
        ("/erldist-playground.js", "javascript"),
        ("/style.css", "text/css"),
        ("/assets/icon.svg", "image/svg+xml"),
        ("/assets/deep/notes.txt", "text/plain"),
    ] {
        let (st, head, _) = get(addr, path);
        assert_eq!(st, 200, "{path}");
        let ct = head
            .lines()
            .find(|l| l.starts_with("content-type:"))
            .unwrap_or_default()
            .to_string();
        assert!(ct.contains(mime), "{path}: {ct}");
    }
    // No directory listing.
    for path in ["/assets/", "/assets/deep/", "/assets", "/nosuch/"] {
        let (st, head, body) = get(addr, path);
        let body = String::from_utf8_lossy(&body);
        assert!(
            !body.contains("icon.svg") && !body.contains("notes.txt") && !body.contains("deep"),
            "{path}: a listing? {st} {head} {body}"
        );
        assert!(st == 404 || (300..400).contains(&st), "{path}: {st}");
    }
    // Nothing outside DIR.
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/../../secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "//secret.txt",
        &format!("/{}", dir.join("secret.txt").display()),
    ] {
        let (st, _, body) = get(addr, path);
        assert_ne!(st, 200, "{path}");
        assert!(
            !String::from_utf8_lossy(&body).contains("TOP-SECRET"),
            "{path} leaked the file outside --serve"
        );
    }
    assert_eq!(get(addr, "/nosuch.js").0, 404);
}
