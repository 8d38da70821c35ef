//! Slow and idle connections (the real binary over raw TCP): the header-read, idle keep-alive and
//! request body timeouts close them, and connections beyond the cap wait until a slot frees.
//! Timeouts are set short here; every bound a test waits for is generous (the behaviour is that
//! the connection closes, not how fast).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{lines, wait_for, Server, BIN};

const TOKEN: &str = "connections-test-token";
const BOUND: Duration = Duration::from_secs(10);
const HEARTBEAT: &[u8] = b"GET /heartbeat HTTP/1.1\r\nHost: latchkey\r\n\r\n";

/// `latchkey dev` with a fixed token and the given environment.
fn start(envs: &[(&str, &str)]) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["dev", "--port", "0", "--token", TOKEN, "--data-dir"])
        .arg(dir.path())
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn latchkey dev");
    let out = lines(child.stdout.take().unwrap());
    let host = wait_for(&out, "OP_CONNECT_HOST", |l| {
        l.strip_prefix("export OP_CONNECT_HOST=")
            .map(str::to_string)
    });
    (Server { child, host }, dir)
}

fn connect(server: &Server) -> TcpStream {
    TcpStream::connect(server.host.trim_start_matches("http://")).unwrap()
}

/// Reads until the server closes the connection (EOF or reset) or `bound` passes: what was read,
/// and whether it closed.
fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> (String, bool) {
    let deadline = Instant::now() + bound;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (String::from_utf8_lossy(&got).into_owned(), false);
        }
        stream.set_read_timeout(Some(left)).unwrap();
        let closed = match stream.read(&mut buf) {
            Ok(0) => true,
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                continue;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(_) => true,
        };
        return (String::from_utf8_lossy(&got).into_owned(), closed);
    }
}

/// Reads one response (head and a `Content-Length` body) within `bound`.
fn read_response(stream: &mut TcpStream, bound: Duration) -> String {
    stream.set_read_timeout(Some(bound)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return text;
            }
        }
        let n = stream.read(&mut buf).expect("a response");
        assert!(n > 0, "closed before a whole response: {text}");
        got.extend_from_slice(&buf[..n]);
    }
}

/// Writes `bytes` one a time, `gap` apart, from another thread, until a write fails.
fn trickle(stream: &TcpStream, bytes: Vec<u8>, gap: Duration) -> std::thread::JoinHandle<()> {
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        for byte in bytes {
            if writer.write_all(&[byte]).is_err() {
                return;
            }
            std::thread::sleep(gap);
        }
    })
}

#[test]
fn an_idle_keep_alive_connection_is_closed() {
    let (server, _dir) = start(&[
        ("LATCHKEY_IDLE_TIMEOUT", "300ms"),
        ("LATCHKEY_HEADER_TIMEOUT", "60s"),
    ]);
    let mut stream = connect(&server);
    stream.write_all(HEARTBEAT).unwrap();
    let response = read_response(&mut stream, BOUND);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let (_, closed) = read_until_closed(&mut stream, BOUND);
    assert!(closed, "the idle keep-alive connection is still open");
}

#[test]
fn silent_and_slow_header_clients_are_closed() {
    let (server, _dir) = start(&[
        ("LATCHKEY_HEADER_TIMEOUT", "300ms"),
        ("LATCHKEY_IDLE_TIMEOUT", "60s"),
    ]);
    let mut silent = connect(&server);
    let mut slow = connect(&server);
    // A header that never ends, at ten bytes a second (stopped by the close, or after 20 s).
    let mut head = b"GET /heartbeat HTTP/1.1\r\nHost: latchkey\r\nX-Slow: ".to_vec();
    head.resize(200, b'a');
    let writer = trickle(&slow, head, Duration::from_millis(100));

    let (_, closed) = read_until_closed(&mut silent, BOUND);
    assert!(closed, "a connection that sent nothing is still open");
    let (got, closed) = read_until_closed(&mut slow, BOUND);
    assert!(closed, "a connection trickling its headers is still open");
    assert!(!got.contains("200 OK"), "{got}");
    writer.join().unwrap();
}

#[test]
fn a_trickled_body_gets_a_408_and_the_connection_closes() {
    let (server, _dir) = start(&[("LATCHKEY_BODY_TIMEOUT", "300ms")]);
    let mut stream = connect(&server);
    let list = format!(
        "GET /v1/vaults HTTP/1.1\r\nHost: latchkey\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    );
    stream.write_all(list.as_bytes()).unwrap();
    let listed = read_response(&mut stream, BOUND);
    let vaults = &listed[listed.find("\r\n\r\n").unwrap() + 4..];
    let vaults: serde_json::Value = serde_json::from_str(vaults).unwrap();
    let vault = vaults[0]["id"].as_str().unwrap();

    let head = format!(
        "POST /v1/vaults/{vault}/items HTTP/1.1\r\nHost: latchkey\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let writer = trickle(&stream, vec![b' '; 200], Duration::from_millis(100));
    let (got, closed) = read_until_closed(&mut stream, BOUND);
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("\"status\":408"), "{got}");
    assert!(closed, "the connection stayed open after the body timeout");
    writer.join().unwrap();
}

#[test]
fn connections_beyond_the_cap_wait_until_a_slot_frees() {
    let (server, _dir) = start(&[("LATCHKEY_MAX_CONNECTIONS", "2")]);
    let mut first = connect(&server);
    let mut second = connect(&server);
    for stream in [&mut first, &mut second] {
        stream.write_all(HEARTBEAT).unwrap();
        let response = read_response(stream, BOUND);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }

    // A third connection is not served while both slots are held (its request is not read) ...
    let mut third = connect(&server);
    third.write_all(HEARTBEAT).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let mut buf = [0u8; 64];
    match third.read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!(
            "a connection beyond the cap was answered: {other:?} {}",
            String::from_utf8_lossy(&buf)
        ),
    }
    // ... while the connections that hold the slots are still served,
    second.write_all(HEARTBEAT).unwrap();
    let response = read_response(&mut second, BOUND);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // and once one closes, the waiting client is served.
    drop(first);
    let response = read_response(&mut third, BOUND);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

/// A GET with the test token on a new connection: the response body as JSON.
fn get_json(server: &Server, path: &str) -> serde_json::Value {
    let mut stream = connect(server);
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: latchkey\r\nAuthorization: Bearer {TOKEN}\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let response = read_response(&mut stream, BOUND);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    serde_json::from_str(&response[response.find("\r\n\r\n").unwrap() + 4..]).unwrap()
}

/// The server loop normalises paths itself (the routes it serves have no normaliser in front):
/// the Go SDK's `//v1/…` and the JS SDK's trailing slash reach the same routes.
#[test]
fn the_served_routes_see_normalised_paths() {
    let (server, _dir) = start(&[]);
    let vaults = get_json(&server, "//v1/vaults/");
    let vault = vaults[0]["id"].as_str().unwrap();
    assert_eq!(
        get_json(&server, &format!("/v1//vaults/{vault}/"))["id"],
        vault
    );
    let items = get_json(
        &server,
        &format!("//v1/vaults/{vault}/items/?filter=title%20pr"),
    );
    assert!(!items.as_array().unwrap().is_empty(), "{items}");
}

#[test]
fn the_peer_address_reaches_the_activity_log() {
    let (server, _dir) = start(&[]);
    let vault = get_json(&server, "/v1/vaults")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let items = get_json(&server, &format!("/v1/vaults/{vault}/items"));
    let item = items[0]["id"].as_str().unwrap();
    get_json(&server, &format!("/v1/vaults/{vault}/items/{item}"));
    // The activity buffer is written to the store about once a second.
    let deadline = Instant::now() + BOUND;
    loop {
        let activity = get_json(&server, "/v1/activity");
        if let Some(read) = activity.as_array().unwrap().first() {
            assert_eq!(read["actor"]["requestIp"], "127.0.0.1", "{read}");
            break;
        }
        assert!(Instant::now() < deadline, "no activity entry appeared");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_client_that_never_completes_the_tls_handshake_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("c.json").display().to_string();
    let data = dir.path().join("d").display().to_string();
    let env = [
        ("OP_SESSION", creds.as_str()),
        ("LATCHKEY_DATA_DIR", data.as_str()),
    ];
    crate::process::cli_ok(&["init"], &env);
    let env = [env[0], env[1], ("LATCHKEY_HEADER_TIMEOUT", "300ms")];
    let (_server, https) = crate::process::serve_https(dir.path(), &env);
    // A few bytes of a ClientHello, then nothing.
    let mut stream = TcpStream::connect(&https).unwrap();
    stream.write_all(&[0x16, 0x03, 0x01]).unwrap();
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
    assert!(closed, "a stalled TLS handshake is still open");
}
