//! Reading an upstream's answer with a bound: the body is taken chunk by chunk and the read stops
//! as soon as it passes the limit, so a hostile or broken upstream cannot make latchkey buffer
//! more than the limit (a length announced above it is refused before anything is read).

/// The body of `response`, or `None` when it is longer than `limit` bytes.
pub(super) async fn read_at_most(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let announced = response.content_length();
    if announced.is_some_and(|len| len > limit) {
        return Ok(None);
    }
    let capacity = announced.map_or(0, |len| usize::try_from(len).unwrap_or(0));
    let mut body = Vec::with_capacity(capacity);
    while let Some(chunk) = response.chunk().await? {
        if u64::try_from(body.len() + chunk.len()).unwrap_or(u64::MAX) > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// `64 MiB`, or `1000 bytes` for a limit that is not a whole number of MiB.
pub(super) fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}
