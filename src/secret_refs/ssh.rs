//! `?ssh-format=openssh`: an SSH key field's private key (PKCS#8 PEM, as 1Password stores it) in
//! OpenSSH's `-----BEGIN OPENSSH PRIVATE KEY-----` format, unencrypted, as `op read` gives it.
//! Ed25519, ECDSA P-256 and RSA keys convert; a key already in OpenSSH's format is returned as is.

use base64::Engine as _;

const PKCS8_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PKCS8_END: &str = "-----END PRIVATE KEY-----";
const OPENSSH_BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";

const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The key in OpenSSH's format. Errors describe the key's shape, never its content.
pub(crate) fn to_openssh(value: &str) -> Result<String, String> {
    if value.contains(OPENSSH_BEGIN) {
        return Ok(value.to_string());
    }
    let der = pem_body(value)?;
    let mut info = Der(&der).sequence()?;
    info.integer()?;
    let mut algorithm = info.sequence()?;
    let oid = algorithm.expect(0x06)?;
    let private = info.expect(0x04)?;
    let curve = match oid {
        OID_EC => Some(algorithm.expect(0x06)?),
        _ => None,
    };
    let (public_blob, private_fields) = match oid {
        OID_ED25519 => ed25519(Der(private).expect(0x04)?)?,
        OID_RSA => rsa(private)?,
        OID_EC if curve == Some(OID_P256) => p256(&der)?,
        OID_EC => return Err("ssh-format=openssh: only the P-256 curve is supported".into()),
        _ => return Err("ssh-format=openssh: not an Ed25519, ECDSA or RSA key".into()),
    };
    Ok(armor(&public_blob, &private_fields))
}

fn pem_body(value: &str) -> Result<Vec<u8>, String> {
    let not_pem = || "ssh-format=openssh: the field holds no PKCS#8 private key".to_string();
    let start = value.find(PKCS8_BEGIN).ok_or_else(not_pem)? + PKCS8_BEGIN.len();
    let end = value[start..].find(PKCS8_END).ok_or_else(not_pem)? + start;
    let text: String = value[start..end].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| not_pem())
}

/// A minimal DER reader: enough of PKCS#8 and PKCS#1 to take a key apart.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    fn expect(&mut self, tag: u8) -> Result<&'a [u8], String> {
        let bad = || "ssh-format=openssh: the private key is malformed".to_string();
        let (&found, rest) = self.0.split_first().ok_or_else(bad)?;
        let (&first, rest) = rest.split_first().ok_or_else(bad)?;
        let (length, rest) = match first {
            n if n < 0x80 => (usize::from(n), rest),
            n @ 0x81..=0x84 => {
                let count = usize::from(n & 0x7f);
                let bytes = rest.get(..count).ok_or_else(bad)?;
                let length = bytes.iter().fold(0usize, |a, b| a << 8 | usize::from(*b));
                (length, &rest[count..])
            }
            _ => return Err(bad()),
        };
        if found != tag || rest.len() < length {
            return Err(bad());
        }
        self.0 = &rest[length..];
        Ok(&rest[..length])
    }

    fn sequence(&mut self) -> Result<Der<'a>, String> {
        self.expect(0x30).map(Der)
    }

    fn integer(&mut self) -> Result<&'a [u8], String> {
        self.expect(0x02)
    }
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// An SSH mpint from a big-endian unsigned integer.
fn put_mpint(out: &mut Vec<u8>, unsigned: &[u8]) {
    let first = unsigned
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(unsigned.len());
    let digits = &unsigned[first..];
    let mut value = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_some_and(|b| b & 0x80 != 0) {
        value.push(0);
    }
    value.extend_from_slice(digits);
    put(out, &value);
}

fn ed25519(seed: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    use ring::signature::KeyPair as _;
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed)
        .map_err(|_| "ssh-format=openssh: the Ed25519 key is malformed".to_string())?;
    let public = pair.public_key().as_ref();
    let mut blob = Vec::new();
    put(&mut blob, b"ssh-ed25519");
    put(&mut blob, public);
    let mut fields = Vec::new();
    put(&mut fields, b"ssh-ed25519");
    put(&mut fields, public);
    put(&mut fields, &[seed, public].concat());
    Ok((blob, fields))
}

fn rsa(private: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut key = Der(private).sequence()?;
    key.integer()?;
    let [n, e, d, p, q, _dp, _dq, qinv] = [(); 8].map(|()| key.integer());
    let (n, e, d, p, q, qinv) = (n?, e?, d?, p?, q?, qinv?);
    let mut blob = Vec::new();
    put(&mut blob, b"ssh-rsa");
    put_mpint(&mut blob, e);
    put_mpint(&mut blob, n);
    let mut fields = Vec::new();
    put(&mut fields, b"ssh-rsa");
    for part in [n, e, d, qinv, p, q] {
        put_mpint(&mut fields, part);
    }
    Ok((blob, fields))
}

fn p256(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    use p256::elliptic_curve::sec1::ToEncodedPoint as _;
    use p256::pkcs8::DecodePrivateKey as _;
    let secret = p256::SecretKey::from_pkcs8_der(der)
        .map_err(|_| "ssh-format=openssh: the ECDSA key is malformed".to_string())?;
    let point = secret.public_key().to_encoded_point(false);
    let mut blob = Vec::new();
    put(&mut blob, b"ecdsa-sha2-nistp256");
    put(&mut blob, b"nistp256");
    put(&mut blob, point.as_bytes());
    let mut fields = blob.clone();
    put_mpint(&mut fields, &secret.to_bytes());
    Ok((blob, fields))
}

/// `openssh-key-v1`, unencrypted, one key, empty comment, PEM-armoured at 70 columns.
fn armor(public_blob: &[u8], private_fields: &[u8]) -> String {
    let check = rand::random::<u32>().to_be_bytes();
    let mut private = [check, check].concat();
    private.extend_from_slice(private_fields);
    put(&mut private, b"");
    let mut pad = 1u8;
    while private.len() % 8 != 0 {
        private.push(pad);
        pad += 1;
    }
    let mut body = b"openssh-key-v1\0".to_vec();
    put(&mut body, b"none");
    put(&mut body, b"none");
    put(&mut body, b"");
    body.extend_from_slice(&1u32.to_be_bytes());
    put(&mut body, public_blob);
    put(&mut body, &private);
    let encoded = base64::engine::general_purpose::STANDARD.encode(body);
    let mut out = format!("{OPENSSH_BEGIN}\n");
    for line in encoded.as_bytes().chunks(70) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    out
}

#[cfg(test)]
#[path = "ssh_tests.rs"]
mod tests;
