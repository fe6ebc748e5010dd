//! A small blocking JSON-RPC client over plain HTTP, for the node's own
//! tooling subcommands talking to a (usually local) node. No TLS: put a
//! remote node behind an SSH tunnel.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpStream, ToSocketAddrs},
    time::Duration,
};

use serde_json::{json, Value};

#[derive(Debug)]
pub struct RpcClient {
    host: String,
    port: u16,
}

impl RpcClient {
    /// `url` is `http://host:port` (a trailing `/` is fine).
    pub fn new(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("--url {url}: only http:// URLs are supported"))?;
        let authority = rest.trim_end_matches('/');
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| format!("--url {url}: give the port, e.g. http://127.0.0.1:9944"))?;
        let port = port
            .parse()
            .map_err(|_| format!("--url {url}: bad port {port}"))?;
        Ok(Self {
            host: host.to_string(),
            port,
        })
    }

    /// Calls `method`; Err carries a transport error or the node's JSON-RPC error.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let response = self.post(&request)?;
        match response.get("error") {
            Some(error) => Err(format!("{method}: {error}")),
            None => Ok(response["result"].clone()),
        }
    }

    /// A JSON-RPC batch submitting each hex-encoded extrinsic with
    /// `author_submitExtrinsic`; answer `id` `i` is `extrinsics[i]`'s.
    #[allow(dead_code)] // the load generators': the benchmark and the tests
    pub fn submit_batch<'a>(extrinsics: impl IntoIterator<Item = &'a str>) -> Value {
        Value::Array(
            extrinsics
                .into_iter()
                .enumerate()
                .map(|(id, hex)| {
                    json!({"jsonrpc": "2.0", "id": id, "method": "author_submitExtrinsic", "params": [hex]})
                })
                .collect(),
        )
    }

    /// Posts one JSON-RPC request or a batch (an array) and gives the
    /// node's whole answer.
    pub fn post(&self, request: &Value) -> Result<Value, String> {
        let body = request.to_string();
        let address = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.host))?
            .next()
            .ok_or_else(|| format!("cannot resolve {}", self.host))?;
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(10))
            .map_err(|e| format!("cannot reach the node at {address}: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| e.to_string())?;
        write!(
            stream,
            // The node checks the Host header, port included, on non-dev chains.
            "POST / HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.host,
            self.port,
            body.len()
        )
        .map_err(|e| e.to_string())?;

        let mut reader = BufReader::new(stream);
        let (mut chunked, mut content_length) = (false, None);
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            let line = line.trim_end().to_ascii_lowercase();
            if line.is_empty() {
                break;
            }
            if line.starts_with("transfer-encoding:") && line.contains("chunked") {
                chunked = true;
            }
            if let Some(length) = line.strip_prefix("content-length:") {
                content_length = length.trim().parse::<usize>().ok();
            }
        }
        let mut payload = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).map_err(|e| e.to_string())?;
                let size = usize::from_str_radix(size.trim(), 16).map_err(|e| e.to_string())?;
                if size == 0 {
                    break;
                }
                let mut chunk = vec![0; size + 2];
                reader.read_exact(&mut chunk).map_err(|e| e.to_string())?;
                payload.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(length) = content_length {
            payload.resize(length, 0);
            reader.read_exact(&mut payload).map_err(|e| e.to_string())?;
        } else {
            reader
                .read_to_end(&mut payload)
                .map_err(|e| e.to_string())?;
        }
        serde_json::from_slice(&payload).map_err(|e| {
            let text = String::from_utf8_lossy(&payload[..payload.len().min(200)]).into_owned();
            format!("the node's answer is not JSON ({e}): {text}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(RpcClient::new("http://127.0.0.1:9944").is_ok());
        assert!(RpcClient::new("http://localhost:9944/").is_ok());
        assert!(RpcClient::new("https://example.org:443")
            .unwrap_err()
            .contains("only http://"));
        assert!(RpcClient::new("http://127.0.0.1")
            .unwrap_err()
            .contains("give the port"));
        assert!(RpcClient::new("http://127.0.0.1:x")
            .unwrap_err()
            .contains("bad port"));
    }
}
