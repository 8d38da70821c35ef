//! The `connect` source under concurrent fetches, against a minimal HTTP/1.1 upstream on a local
//! port that counts its connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::ConnectSource;
use crate::config::UpstreamLimits;
use crate::sync::source::Source;

const VAULT: &str = "cvaultcvaultcvaultcvault00";

fn item_id(i: usize) -> String {
    format!("citem{i:021}")
}

/// Answers `GET /v1/vaults/VAULT/items/ID` with that item, on as many requests per connection as
/// the client sends; counts the connections.
async fn upstream() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream));
        }
    });
    (url, connections)
}

async fn serve(mut stream: TcpStream) {
    let mut pending = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&pending[..end]).to_string();
        pending.drain(..end + 4);
        let path = head.split(' ').nth(1).unwrap_or_default();
        let id = path.rsplit('/').next().unwrap_or_default();
        let body = serde_json::json!({"id": id, "title": format!("title of {id}"),
            "vault": {"id": VAULT}, "category": "LOGIN", "version": 3,
            "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
            "lastEditedBy": "X", "fields": []})
        .to_string();
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn concurrent_fetches_share_a_few_keep_alive_connections() {
    let (url, connections) = upstream().await;
    let source = Arc::new(ConnectSource::new(&url, "token", UpstreamLimits::default()).unwrap());
    let ids: Vec<String> = (0..200).map(item_id).collect();
    let fetched: Vec<_> = futures_util::stream::iter(&ids)
        .map(|id| {
            let source = source.clone();
            async move { source.item(VAULT, id).await }
        })
        .buffered(source.fetch_concurrency())
        .collect()
        .await;
    for (id, item) in ids.iter().zip(fetched) {
        let item = item.unwrap();
        assert_eq!(&item.id, id);
        assert_eq!(item.data.summary.title, format!("title of {id}"));
    }
    let opened = connections.load(Ordering::SeqCst);
    assert!(
        (1..=source.fetch_concurrency()).contains(&opened),
        "200 fetches opened {opened} connections"
    );
}
