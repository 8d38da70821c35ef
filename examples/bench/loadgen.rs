//! The load generator: HTTP/1.1 keep-alive over plain TCP, one request in flight per connection,
//! the same for latchkey and the bare baseline; and the requests it sends.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::procfs::read_cpu;

/// Makes the request with the given sequence number.
pub type MakeRequest = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends one request and reads the whole response; returns the status and the body's range
    /// in [`Client::body`]. Responses carry a Content-Length or are chunked (streamed lists).
    pub async fn send(&mut self, request: &[u8]) -> std::io::Result<(u16, std::ops::Range<usize>)> {
        use std::io::{Error, ErrorKind};
        self.stream.write_all(request).await?;
        self.buf.clear();
        let mut scanned: usize = 0;
        let header_end = loop {
            if self.buf.capacity() - self.buf.len() < 4096 {
                self.buf.reserve(16 * 1024);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(Error::new(
                    ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
            let from = scanned.saturating_sub(3);
            if let Some(pos) = self.buf[from..].windows(4).position(|w| w == b"\r\n\r\n") {
                break from + pos + 4;
            }
            scanned = self.buf.len();
        };
        let head = std::str::from_utf8(&self.buf[..header_end])
            .map_err(|_| Error::new(ErrorKind::InvalidData, "non-UTF-8 response head"))?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::new(ErrorKind::InvalidData, "no status in the response"))?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.trim().eq_ignore_ascii_case("chunked");
                }
            }
        }
        if chunked {
            let end = self.read_chunked(header_end).await?;
            return Ok((status, header_end..end));
        }
        let total = header_end
            + length.ok_or_else(|| Error::new(ErrorKind::InvalidData, "no Content-Length"))?;
        if self.buf.capacity() < total {
            self.buf.reserve(total - self.buf.len());
        }
        while self.buf.len() < total {
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(Error::new(
                    ErrorKind::UnexpectedEof,
                    "the server closed the connection mid-body",
                ));
            }
        }
        Ok((status, header_end..total))
    }

    /// Reads a chunked body that starts at `start` of the buffer and decodes it in place; returns
    /// where the decoded body ends.
    async fn read_chunked(&mut self, start: usize) -> std::io::Result<usize> {
        use std::io::{Error, ErrorKind};
        let invalid = |what: &str| Error::new(ErrorKind::InvalidData, what.to_string());
        let mut body = Vec::new();
        let mut pos = start;
        loop {
            let line_end = loop {
                if let Some(i) = self.buf[pos..].windows(2).position(|w| w == b"\r\n") {
                    break pos + i;
                }
                self.fill().await?;
            };
            let size_text = std::str::from_utf8(&self.buf[pos..line_end])
                .map_err(|_| invalid("bad chunk size"))?;
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size =
                usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
            let data = line_end + 2;
            while self.buf.len() < data + size + 2 {
                self.fill().await?;
            }
            if size == 0 {
                break;
            }
            body.extend_from_slice(&self.buf[data..data + size]);
            pos = data + size + 2;
        }
        self.buf.truncate(start);
        self.buf.extend_from_slice(&body);
        Ok(self.buf.len())
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        self.buf.reserve(16 * 1024);
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection mid-body",
            ));
        }
        Ok(())
    }

    pub fn body(&self, range: &std::ops::Range<usize>) -> &[u8] {
        &self.buf[range.clone()]
    }
}

#[derive(Clone, Copy)]
pub enum Stop {
    For(Duration),
    Count(u64),
}

pub struct LoadResult {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Microseconds, sorted.
    pub latencies: Vec<u32>,
    /// The server's CPU time during the run, when known.
    pub cpu: Option<Duration>,
}

impl LoadResult {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The server's CPU time per request and the cores it kept busy, e.g. "142 µs CPU/request, 1.71 cores".
    pub fn cpu_text(&self) -> String {
        match self.cpu {
            Some(cpu) if self.requests > 0 => format!(
                "{:.0} µs CPU/request, {:.2} cores",
                cpu.as_secs_f64() * 1e6 / self.requests as f64,
                cpu.as_secs_f64() / self.elapsed.as_secs_f64().max(1e-9)
            ),
            _ => "CPU time unknown".into(),
        }
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((self.latencies.len() as f64 * p / 100.0).ceil() as usize)
            .clamp(1, self.latencies.len());
        Duration::from_micros(u64::from(self.latencies[rank - 1]))
    }
}

/// `connections` connections, each sending its next request as soon as the previous answer is
/// in, until the time is up or `Count` requests have been sent. A non-200 answer or a broken
/// connection counts as an error (the connection is re-opened).
pub async fn load(
    addr: SocketAddr,
    connections: usize,
    stop: Stop,
    make: MakeRequest,
    done: Option<Arc<AtomicU64>>,
) -> anyhow::Result<LoadResult> {
    let tickets = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = match stop {
        Stop::For(d) => started + d,
        Stop::Count(_) => started + Duration::from_secs(3600),
    };
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let tickets = tickets.clone();
        let make = make.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(connection(
            addr, stop, deadline, tickets, make, done,
        )));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(LoadResult {
        requests: latencies.len() as u64,
        errors,
        elapsed,
        latencies,
        cpu: None,
    })
}

/// One connection of [`load`]: takes the next ticket, sends its request, records the latency of
/// a 200 answer; returns the latencies in microseconds and the count of errors.
async fn connection(
    addr: SocketAddr,
    stop: Stop,
    deadline: Instant,
    tickets: Arc<AtomicU64>,
    make: MakeRequest,
    done: Option<Arc<AtomicU64>>,
) -> (Vec<u32>, u64) {
    let mut latencies: Vec<u32> = Vec::new();
    let mut errors = 0u64;
    let mut client: Option<Client> = None;
    loop {
        let ticket = tickets.fetch_add(1, Ordering::Relaxed);
        match stop {
            Stop::For(_) if Instant::now() >= deadline => break,
            Stop::Count(n) if ticket >= n => break,
            _ => {}
        }
        if Instant::now() >= deadline || errors > 1000 {
            break;
        }
        if client.is_none() {
            match Client::connect(addr).await {
                Ok(c) => client = Some(c),
                Err(_) => {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(c) = client.as_mut() else { continue };
        let request = make(ticket);
        let sent = Instant::now();
        match c.send(&request).await {
            Ok((200, _)) => {
                latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            Ok(_) => errors += 1,
            Err(_) => {
                errors += 1;
                client = None;
            }
        }
        if let Some(done) = &done {
            done.fetch_add(1, Ordering::Relaxed);
        }
    }
    (latencies, errors)
}

/// `warmup`, then one measured run of `duration`; with `pid`, also the server's CPU time.
pub async fn measure(
    addr: SocketAddr,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    make: MakeRequest,
    pid: Option<u32>,
) -> anyhow::Result<LoadResult> {
    if !warmup.is_zero() {
        load(addr, connections, Stop::For(warmup), make.clone(), None).await?;
    }
    let cpu_before = pid.and_then(read_cpu);
    let mut result = load(addr, connections, Stop::For(duration), make, None).await?;
    if let (Some(before), Some(after)) = (cpu_before, pid.and_then(read_cpu)) {
        result.cpu = Some(after.saturating_sub(before));
    }
    if result.requests == 0 {
        bail!("no request completed ({} errors)", result.errors);
    }
    Ok(result)
}

/// Adds one round's result to the total of a side.
pub fn merge(total: &mut Option<LoadResult>, part: LoadResult) {
    match total {
        None => *total = Some(part),
        Some(t) => {
            t.requests += part.requests;
            t.errors += part.errors;
            t.elapsed += part.elapsed;
            t.cpu = match (t.cpu, part.cpu) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
            t.latencies.extend(part.latencies);
            t.latencies.sort_unstable();
        }
    }
}

pub fn get_request(path: &str, token: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nUser-Agent: latchkey-bench\r\n\r\n"
    )
    .into_bytes()
}

pub fn put_request(path: &str, token: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nUser-Agent: latchkey-bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// Percent-encodes a query value.
fn encode_query(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub fn filter_path(vault: &str, title: &str) -> String {
    format!(
        "/v1/vaults/{vault}/items?filter={}",
        encode_query(&format!("title eq \"{title}\""))
    )
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
