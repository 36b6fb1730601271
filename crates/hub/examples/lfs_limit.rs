//! The limits an LFS upload of one file runs into on this machine, for `benches/hub_bench.py`:
//!
//! - `sha256_s`: hashing the file with this crate's [`digest_file`] (the `sha2` crate; SHA-NI when the CPU
//!   has it), the pass a deploy makes before it can ask the Hub where to send the bytes;
//! - `tcp_s`: the file's bytes written to a loopback socket whose reader only drains them (read + copy, no
//!   HTTP, no hashing);
//! - `put_s` (with a URL): one streamed HTTP `PUT` of the file to that URL, e.g. the emulator's basic LFS
//!   target, which hashes what it receives as it arrives.
//!
//! ```sh
//! cargo run --release -p spacesmith-hub --example lfs_limit -- FILE [PUT_URL]
//! ```
//!
//! Prints one JSON object. Figures only; nothing is asserted.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use spacesmith_hub::hash::digest_file;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: lfs_limit FILE [PUT_URL]");
        std::process::exit(2);
    };
    let url = args.next();
    let size = std::fs::metadata(&path).unwrap_or_else(|e| fail(&format!("{path}: {e}"))).len();

    let t = Instant::now();
    let digest = digest_file(path.as_ref(), false).unwrap_or_else(|e| fail(&format!("hash {path}: {e}")));
    let sha256_s = t.elapsed().as_secs_f64();

    let tcp_s = loopback(&path, size);

    let put_s = url.map(|u| put(&path, size, &u));
    let mut out = serde_json::json!({ "bytes": size, "sha256": digest.sha256, "sha256_s": sha256_s, "tcp_s": tcp_s });
    if let Some(p) = put_s {
        out["put_s"] = serde_json::json!(p);
    }
    println!("{out}");
}

fn fail(msg: &str) -> ! {
    eprintln!("lfs_limit: {msg}");
    std::process::exit(1);
}

/// Seconds to push the file through a loopback TCP connection to a reader that discards it.
fn loopback(path: &str, size: u64) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| fail(&format!("bind: {e}")));
    let addr = listener.local_addr().expect("bound");
    let sink = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0u64;
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n as u64,
            }
        }
        got
    });
    let t = Instant::now();
    let mut sock = TcpStream::connect(addr).unwrap_or_else(|e| fail(&format!("connect: {e}")));
    let mut f = File::open(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap_or_else(|e| fail(&format!("read: {e}")));
        if n == 0 {
            break;
        }
        sock.write_all(&buf[..n]).unwrap_or_else(|e| fail(&format!("send: {e}")));
    }
    drop(sock);
    let got = sink.join().expect("sink");
    let secs = t.elapsed().as_secs_f64();
    if got != size {
        fail(&format!("loopback moved {got} of {size} bytes"));
    }
    secs
}

/// Seconds for one streamed `PUT` of the file (the same reader shape the Hub client uses for LFS).
fn put(path: &str, size: u64, url: &str) -> f64 {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let f = File::open(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    let mut reader = std::io::BufReader::with_capacity(256 * 1024, f).take(size);
    let t = Instant::now();
    let resp = agent
        .put(url)
        .header("content-type", "application/octet-stream")
        .header("content-length", size.to_string())
        .send(ureq::SendBody::from_reader(&mut reader))
        .unwrap_or_else(|e| fail(&format!("PUT: {e}")));
    let secs = t.elapsed().as_secs_f64();
    if !resp.status().is_success() {
        fail(&format!("PUT answered {}", resp.status()));
    }
    secs
}
