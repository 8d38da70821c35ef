//! `latchkey healthcheck`: probes a running server's /heartbeat (container HEALTHCHECK) with a
//! plain HTTP/1.1 request; exit 0 when healthy.

use crate::config::args::HealthcheckArgs;

pub async fn run(args: HealthcheckArgs) -> anyhow::Result<()> {
    let url = args
        .url
        .unwrap_or_else(|| format!("http://127.0.0.1:{}/heartbeat", args.port));
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("healthcheck supports http:// URLs"))?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(authority).await?;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(std::time::Duration::from_secs(5), probe)
        .await
        .map_err(|_| anyhow::anyhow!("{url} did not answer within 5 s"))??;
    let status_line = String::from_utf8_lossy(&response);
    let ok = status_line.starts_with("HTTP/1.1 200") || status_line.starts_with("HTTP/1.0 200");
    if ok {
        Ok(())
    } else {
        anyhow::bail!(
            "{url} is not healthy: {}",
            status_line.lines().next().unwrap_or("")
        )
    }
}
