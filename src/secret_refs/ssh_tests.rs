use super::*;

fn pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!("{PKCS8_BEGIN}\n{}\n{PKCS8_END}\n", lines.join("\n"))
}

/// The public key blob in a converted key, read back from the OpenSSH structure.
fn public_blob(openssh: &str) -> Vec<u8> {
    let body: String = openssh
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    assert!(bytes.starts_with(b"openssh-key-v1\0"));
    let mut at = 15;
    let mut next = |skip: usize| {
        at += skip;
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
        bytes[at - len..at].to_vec()
    };
    assert_eq!(next(0), b"none");
    assert_eq!(next(0), b"none");
    assert_eq!(next(0), b"");
    next(4)
}

#[test]
fn ed25519_keys_convert_with_their_public_key() {
    use ring::signature::KeyPair as _;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let converted = to_openssh(&pem(pkcs8.as_ref())).unwrap();
    assert!(converted.starts_with(OPENSSH_BEGIN));
    let mut want = Vec::new();
    put(&mut want, b"ssh-ed25519");
    put(&mut want, pair.public_key().as_ref());
    assert_eq!(public_blob(&converted), want);
    assert_eq!(
        to_openssh(&converted).unwrap(),
        converted,
        "already OpenSSH"
    );
}

#[test]
fn p256_keys_convert() {
    use p256::pkcs8::EncodePrivateKey as _;
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let der = secret.to_pkcs8_der().unwrap();
    let converted = to_openssh(&pem(der.as_bytes())).unwrap();
    assert!(public_blob(&converted).ends_with(
        p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&secret.public_key(), false)
            .as_bytes()
    ));
}

#[test]
fn what_is_not_a_key_says_so_without_content() {
    let err = to_openssh("hunter2").unwrap_err();
    assert!(err.contains("no PKCS#8 private key") && !err.contains("hunter2"));
    let err = to_openssh(&pem(b"\x30\x03\x02\x01\x00")).unwrap_err();
    assert!(err.contains("malformed"), "{err}");
}

/// Against OpenSSH itself where `openssl` and `ssh-keygen` are installed: the converted key's
/// public half (`ssh-keygen -y`) is the original's (`ssh-keygen -i -m PKCS8`).
#[test]
fn openssh_reads_the_converted_keys() {
    let tools = ["openssl", "ssh-keygen"];
    if tools
        .iter()
        .any(|t| std::process::Command::new(t).arg("-h").output().is_err())
    {
        eprintln!("openssl or ssh-keygen missing: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(args[0])
            .args(&args[1..])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    for (name, args) in [
        ("ed25519", vec!["-algorithm", "ED25519"]),
        (
            "rsa",
            vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        ),
        (
            "ec",
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
    ] {
        let key = dir.path().join(format!("{name}.pem"));
        let public = dir.path().join(format!("{name}.pub.pem"));
        let converted = dir.path().join(name);
        let key_s = key.to_str().unwrap();
        run(&[&["openssl", "genpkey"], &args[..], &["-out", key_s]].concat());
        run(&[
            "openssl",
            "pkey",
            "-in",
            key_s,
            "-pubout",
            "-out",
            public.to_str().unwrap(),
        ]);
        let public_s = public.to_str().unwrap();
        let want = if name == "ed25519" {
            // ssh-keygen does not import Ed25519 PKCS#8: the raw key ends the SPKI DER.
            let der = std::process::Command::new("openssl")
                .args(["pkey", "-pubin", "-in", public_s, "-outform", "DER"])
                .output()
                .unwrap()
                .stdout;
            let mut blob = Vec::new();
            put(&mut blob, b"ssh-ed25519");
            put(&mut blob, &der[der.len() - 32..]);
            let encoded = base64::engine::general_purpose::STANDARD.encode(blob);
            format!("ssh-ed25519 {encoded}")
        } else {
            run(&["ssh-keygen", "-i", "-m", "PKCS8", "-f", public_s])
        };
        let openssh = to_openssh(&std::fs::read_to_string(&key).unwrap()).unwrap();
        std::fs::write(&converted, openssh).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&converted, std::fs::Permissions::from_mode(0o600)).unwrap();
        let got = run(&["ssh-keygen", "-y", "-f", converted.to_str().unwrap()]);
        let words = |s: &str| s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        assert_eq!(words(&got), words(&want), "{name}");
    }
}
