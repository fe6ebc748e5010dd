//! Finality reaches telemetry: a dev node pointed at a stand-in telemetry
//! server (a minimal WebSocket endpoint on loopback) reports each block its
//! DPoR certificate finalizes as `dpor.finalized`.

mod common;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    sync::mpsc,
    time::Duration,
};

use common::Node;
use serde_json::Value;
use sha1::{Digest, Sha1};

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

/// Accepts one WebSocket client and sends every text or binary message it
/// receives to `messages`, until the client goes.
fn serve(listener: TcpListener, messages: mpsc::Sender<Vec<u8>>) -> std::io::Result<()> {
    let (stream, _) = listener.accept()?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut key = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("sec-websocket-key") {
                key = Some(value.trim().to_string());
            }
        }
    }
    let key = key.ok_or_else(|| std::io::Error::other("no Sec-WebSocket-Key"))?;
    let accept = base64(&Sha1::digest(format!(
        "{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    )));
    let mut writer = stream;
    write!(
        writer,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )?;
    loop {
        let mut head = [0u8; 2];
        reader.read_exact(&mut head)?;
        let mut len = u64::from(head[1] & 0x7f);
        if len == 126 {
            let mut extended = [0u8; 2];
            reader.read_exact(&mut extended)?;
            len = u64::from(u16::from_be_bytes(extended));
        } else if len == 127 {
            let mut extended = [0u8; 8];
            reader.read_exact(&mut extended)?;
            len = u64::from_be_bytes(extended);
        }
        let mut mask = [0u8; 4];
        if head[1] & 0x80 != 0 {
            reader.read_exact(&mut mask)?;
        }
        let mut payload = vec![0u8; len as usize];
        reader.read_exact(&mut payload)?;
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[i % 4];
        }
        let opcode = head[0] & 0x0f;
        if opcode == 8 {
            return Ok(());
        }
        if (opcode == 1 || opcode == 2) && messages.send(payload).is_err() {
            return Ok(());
        }
    }
}

#[test]
fn certified_blocks_are_reported_to_telemetry() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().unwrap().port();
    let (sender, messages) = mpsc::channel();
    std::thread::spawn(move || serve(listener, sender));
    // Verbosity 1: consensus messages are sent from level 1 on.
    let url = format!("ws://127.0.0.1:{port} 1");
    let node = Node::start("telemetry", &["--dev", "--tmp", "--telemetry-url", &url]);

    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let mut heights = Vec::new();
    while heights.len() < 2 {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        let Ok(message) = messages.recv_timeout(remaining) else {
            panic!(
                "no dpor.finalized telemetry for two blocks (got {heights:?})\n{}",
                node.log_tail()
            );
        };
        let Ok(message) = serde_json::from_slice::<Value>(&message) else {
            continue;
        };
        let payload = &message["payload"];
        if payload["msg"] == "dpor.finalized" {
            assert!(payload["hash"]
                .as_str()
                .is_some_and(|h| h.starts_with("0x")));
            assert!(payload["round"].is_u64(), "{payload}");
            heights.push(payload["height"].as_u64().expect("a height"));
        }
    }
    assert!(heights[1] > heights[0], "{heights:?}");
}
