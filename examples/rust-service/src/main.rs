//! A small HTTP service used as a dockopt example (standard library only).

use std::env;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

static HITS: AtomicU64 = AtomicU64::new(0);

struct Response {
    status: &'static str,
    content_type: &'static str,
    body: String,
}

impl Response {
    fn new(status: &'static str, content_type: &'static str, body: String) -> Self {
        Response {
            status,
            content_type,
            body,
        }
    }
}

/// Answers one request, given its method and target (`/hello?name=x`).
fn route(method: &str, target: &str) -> Response {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    match (method, path) {
        ("GET", "/health") => {
            let hits = HITS.fetch_add(1, Ordering::Relaxed) + 1;
            Response::new(
                "200 OK",
                "application/json",
                format!(
                    "{{\"status\":\"ok\",\"service\":\"{}\",\"version\":\"{}\",\"hits\":{}}}\n",
                    env!("CARGO_PKG_NAME"),
                    env!("CARGO_PKG_VERSION"),
                    hits
                ),
            )
        }
        ("GET", "/hello") => {
            let name = query_param(query, "name")
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "world".to_string());
            Response::new("200 OK", "text/plain", format!("hello, {}\n", name))
        }
        (_, "/health") | (_, "/hello") => Response::new(
            "405 Method Not Allowed",
            "text/plain",
            "method not allowed\n".to_string(),
        ),
        _ => Response::new("404 Not Found", "text/plain", "not found\n".to_string()),
    }
}

/// The value of `key` in a query string, with `+` and `%XX` decoded.
fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == key {
            Some(percent_decode(v))
        } else {
            None
        }
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn handle(stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the headers: this service reads no body.
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let response = match (parts.next(), parts.next()) {
        (Some(method), Some(target)) => route(method, target),
        _ => Response::new("400 Bad Request", "text/plain", "bad request\n".to_string()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        response.status,
        response.content_type,
        response.body.len(),
        response.body
    )?;
    stream.flush()
}

fn main() {
    let port = env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let addr = format!("0.0.0.0:{}", port);
    let listener = TcpListener::bind(&addr).unwrap_or_else(|e| {
        eprintln!("cannot listen on {}: {}", addr, e);
        std::process::exit(1);
    });
    eprintln!("listening on {}", addr);
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                thread::spawn(move || {
                    if let Err(e) = handle(stream) {
                        eprintln!("connection error: {}", e);
                    }
                });
            }
            Err(e) => eprintln!("accept failed: {}", e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_json_with_status_ok() {
        let r = route("GET", "/health");
        assert_eq!(r.status, "200 OK");
        assert_eq!(r.content_type, "application/json");
        assert!(r.body.starts_with("{\"status\":\"ok\""), "{}", r.body);
    }

    #[test]
    fn hello_greets_by_name() {
        assert_eq!(route("GET", "/hello?name=ferris").body, "hello, ferris\n");
        assert_eq!(route("GET", "/hello?name=a+b%21").body, "hello, a b!\n");
        assert_eq!(route("GET", "/hello").body, "hello, world\n");
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert_eq!(route("GET", "/nope").status, "404 Not Found");
        assert_eq!(route("POST", "/health").status, "405 Method Not Allowed");
    }
}
