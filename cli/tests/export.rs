//! `erldist export` and `erldist encode ... --as LANG`, run as a user runs
//! them; the snippets they print are run by the real toolchains (escript,
//! python3, node, cc, rustc) and the pcapng read back by tshark. A missing
//! tool fails the test with the Debian package to install.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

fn erldist(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_erldist"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run erldist");
    {
        let mut i = child.stdin.take().expect("stdin");
        if let Some(data) = stdin {
            i.write_all(data).expect("write stdin");
        }
    }
    child.wait_with_output().expect("wait")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "erldist failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn vectors(name: &str) -> String {
    format!(
        "{}/../codec/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn need(tool: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()));
    assert!(
        found,
        "`{tool}` is not installed: apt-get install {package} (Debian), or run scripts/ensure-system.sh"
    );
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!(
            "erldist-cli-export-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command, program: &Path) -> String {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{} failed:\n{}\n{}",
        program.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The hex `erldist decode --json` gives for each frame of a file.
fn frame_hexes(file: &str) -> Vec<(String, String)> {
    let j: Value = serde_json::from_str(&ok(&erldist(&["decode", "--json", file], None))).unwrap();
    j["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["side"].as_str().unwrap().to_string(),
                f["hex"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const ALIVE2_REQ: [&str; 13] = [
    "encode",
    "epmd",
    "ALIVE2_REQ",
    "--port",
    "9506",
    "--node-type",
    "77",
    "--highest-version",
    "6",
    "--lowest-version",
    "5",
    "--name",
    "node",
];

#[test]
fn encode_as_erlang_runs_in_escript() {
    need("escript", "erlang-base");
    let hex = ok(&erldist(&ALIVE2_REQ, None)).trim().replace(' ', "");
    let mut args = ALIVE2_REQ.to_vec();
    args.extend(["--as", "erlang"]);
    let snippet = ok(&erldist(&args, None));
    assert!(snippet.contains("9506:16,"), "{snippet}");
    let dir = TempDir::new();
    let p = dir.file(
        "s.escript",
        &format!(
            "#!/usr/bin/env escript\nmain(_) -> B = {snippet}, io:format(\"~s~n\", [[io_lib:format(\"~2.16.0b\", [X]) || <<X>> <= B]]).\n"
        ),
    );
    assert_eq!(run(Command::new("escript").arg(&p), &p).trim(), hex);
}

#[test]
fn encode_handshake_and_dist_as_python_run() {
    need("python3", "python3");
    let cases: [&[&str]; 2] = [
        &[
            "encode",
            "handshake",
            "CHALLENGE_REPLY",
            "--challenge",
            "96042660",
            "--digest",
            "46e55d006a84bde8aaaaaaaaaaaaaaaa",
        ],
        &[
            "encode",
            "dist",
            "REG_SEND",
            "--from-pid",
            "#Pid<'a@h'.9.0;c=1>",
            "--to-name",
            "rex",
            "--message",
            "{ping, \"it's\", <<1,2,3>>}",
        ],
    ];
    for args in cases {
        let hex = ok(&erldist(args, None)).trim().replace(' ', "");
        let mut a = args.to_vec();
        a.push("--as=python");
        let snippet = ok(&erldist(&a, None));
        assert!(snippet.contains("struct.pack("), "{snippet}");
        let dir = TempDir::new();
        let p = dir.file("s.py", &format!("{snippet}print(frame.hex())\n"));
        assert_eq!(
            run(Command::new("python3").arg(&p), &p).trim(),
            hex,
            "{snippet}"
        );
    }
}

#[test]
fn export_one_frame_of_a_capture_as_node_js() {
    need("node", "nodejs");
    let file = vectors("dist/dist_hidden.streams.txt");
    let want = frame_hexes(&file);
    for n in [7usize, 10, 16] {
        let snippet = ok(&erldist(
            &["export", "--as", "js", "--frame", &n.to_string(), &file],
            None,
        ));
        let dir = TempDir::new();
        let p = dir.file(
            "s.js",
            &format!("{snippet}console.log(frame.toString(\"hex\"));\n"),
        );
        assert_eq!(run(Command::new("node").arg(&p), &p).trim(), want[n - 1].1);
    }
}

#[test]
fn export_a_whole_capture_as_c_compiles_and_runs() {
    need("cc", "gcc");
    let file = vectors("dist/dist_hidden.streams.txt");
    let want: Vec<String> = frame_hexes(&file)
        .into_iter()
        .map(|(s, h)| format!("{s} {h}"))
        .collect();
    let snippet = ok(&erldist(&["export", "--as", "c", &file], None));
    assert!(
        snippet.contains("// #7 SEND_NAME, 28 bytes, sent by the initiator"),
        "{snippet}"
    );
    let dir = TempDir::new();
    let p = dir.file(
        "s.c",
        &format!(
            "{snippet}#include <stdio.h>\nint main(void) {{\n    for (size_t k = 0; k < frames_count; k++) {{\n        printf(\"%s \", frames[k].sender);\n        for (size_t i = 0; i < frames[k].length; i++) printf(\"%02x\", frames[k].bytes[i]);\n        printf(\"\\n\");\n    }}\n    return 0;\n}}\n"
        ),
    );
    let bin = dir.0.join("s");
    run(
        Command::new("cc")
            .args(["-std=c99", "-Wall", "-Werror", "-o"])
            .arg(&bin)
            .arg(&p),
        &p,
    );
    let got = run(&mut Command::new(&bin), &p);
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
}

#[test]
fn export_reads_stdin_and_the_decode_options() {
    need("rustc", "rustc");
    // An acceptor's bytes, said so with --direction reply.
    let o = erldist(
        &[
            "export",
            "--as",
            "rust",
            "--frame",
            "1",
            "--protocol",
            "epmd",
            "--direction",
            "reply",
            "--name",
            "reply",
            "-",
        ],
        Some(b"77 00 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00"),
    );
    let snippet = ok(&o);
    assert!(
        snippet.starts_with("// PORT2_RESP, 18 bytes, sent by epmd to the client"),
        "{snippet}"
    );
    let dir = TempDir::new();
    let p = dir.file(
        "s.rs",
        &format!(
            "{snippet}fn main() {{ for b in REPLY {{ print!(\"{{b:02x}}\"); }} println!(); }}\n"
        ),
    );
    let bin = dir.0.join("s");
    run(
        Command::new("rustc")
            .args(["--edition", "2021", "-o"])
            .arg(&bin)
            .arg(&p),
        &p,
    );
    assert_eq!(
        run(&mut Command::new(&bin), &p).trim(),
        "770025224d000006000500046e6f64650000"
    );
}

#[test]
fn export_as_json_is_the_decode_json() {
    let file = vectors("dist/dist_hidden.streams.txt");
    let report: Value =
        serde_json::from_str(&ok(&erldist(&["decode", "--json", &file], None))).unwrap();
    let one: Value = serde_json::from_str(&ok(&erldist(
        &["export", "--as", "json", "--frame", "10", &file],
        None,
    )))
    .unwrap();
    assert_eq!(one, report["frames"][9]);
    let all: Value =
        serde_json::from_str(&ok(&erldist(&["export", "--as", "json", &file], None))).unwrap();
    assert_eq!(all, report["frames"]);
}

#[test]
fn export_errors_are_clear() {
    let o = erldist(
        &["export", "--as", "c", "--frame", "3", "-"],
        Some(b"00 01 6e"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--frame 3: the input has 1 frame(s)"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = erldist(&["export", "--as", "c", "-"], Some(b"zz"));
    assert_eq!(o.status.code(), Some(2));
    let mut args = ALIVE2_REQ.to_vec();
    args.extend(["--as", "cobol"]);
    let o = erldist(&args, None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected one of erlang"));
}

fn tshark(file: &Path, args: &[&str]) -> String {
    need("tshark", "tshark");
    let o = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn export_as_pcapng_opens_in_tshark() {
    let file = vectors("dist/dist_hidden.streams.txt");
    let want = frame_hexes(&file);
    let dir = TempDir::new();
    let out = dir.0.join("out.pcapng");
    ok(&erldist(
        &[
            "export",
            "--as",
            "pcapng",
            "-o",
            out.to_str().unwrap(),
            &file,
        ],
        None,
    ));
    let fields = tshark(
        &out,
        &[
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "tcp.payload",
        ],
    );
    let payloads: Vec<(u16, u16, String)> = fields
        .lines()
        .filter_map(|l| {
            let v: Vec<&str> = l.split('\t').collect();
            (v.len() == 3 && !v[2].is_empty()).then(|| {
                (
                    v[0].parse().unwrap(),
                    v[1].parse().unwrap(),
                    v[2].replace(':', ""),
                )
            })
        })
        .collect();
    let hexes: Vec<&str> = payloads.iter().map(|p| p.2.as_str()).collect();
    let want_hex: Vec<&str> = want.iter().map(|w| w.1.as_str()).collect();
    assert_eq!(hexes, want_hex);
    // EPMD requests go to 4369, the node connection to the node's port.
    assert_eq!(payloads[0].1, 4369);
    assert_eq!(payloads[6].1, 45002);
    let epmd = tshark(
        &out,
        &[
            "-d",
            "tcp.port==4369,epmd",
            "-Y",
            "epmd",
            "-T",
            "fields",
            "-e",
            "epmd.type",
        ],
    );
    assert_eq!(
        epmd.lines().collect::<Vec<_>>(),
        ["120", "120", "122", "119"]
    );
    // One frame, on standard output.
    let o = erldist(&["export", "--as", "pcapng", "--frame", "1", &file], None);
    let one = dir.0.join("one.pcapng");
    std::fs::write(&one, ok_bytes(&o)).unwrap();
    let p = tshark(
        &one,
        &["-T", "fields", "-e", "tcp.payload", "-Y", "tcp.len > 0"],
    );
    assert_eq!(p.trim().replace(':', ""), want[0].1);
}

#[test]
fn encode_as_pcapng_writes_a_capture() {
    let mut args = ALIVE2_REQ.to_vec();
    args.extend(["--as", "pcapng"]);
    let o = erldist(&args, None);
    let dir = TempDir::new();
    let f = dir.0.join("a.pcapng");
    std::fs::write(&f, ok_bytes(&o)).unwrap();
    let v = tshark(&f, &["-Y", "epmd", "-T", "fields", "-e", "epmd.name"]);
    assert_eq!(v.trim(), "node");
}

fn ok_bytes(o: &Output) -> Vec<u8> {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout.clone()
}
