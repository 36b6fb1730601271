//! A fake OIDC issuer on loopback that behaves like GitHub Actions' id-token service, for tests of the
//! Trusted Publishers exchange: `GET {url}/token?api-version=2.0&audience=AUD` with
//! `Authorization: Bearer <request token>` answers `{"value": "<JWT>"}`, an ES256 id token with `iss` = the
//! issuer's URL, the requested `aud`, a 5-minute `exp`, and the claims given at start.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

use crate::util::{now_ms, parse_query};

struct Shared {
    key: EcdsaKeyPair,
    url: String,
    claims: serde_json::Map<String, Value>,
    request_token: String,
    audiences: Mutex<Vec<String>>,
}

impl Shared {
    fn mint(&self, audience: &str, overrides: &Value) -> String {
        let now = (now_ms() / 1000) as i64;
        let mut c = self.claims.clone();
        c.insert("iss".into(), json!(self.url));
        c.insert("aud".into(), json!(audience));
        c.insert("iat".into(), json!(now));
        c.insert("nbf".into(), json!(now));
        c.insert("exp".into(), json!(now + 300));
        for (k, v) in overrides.as_object().into_iter().flatten() {
            c.insert(k.clone(), v.clone());
        }
        let header = B64URL.encode(br#"{"alg":"ES256","typ":"JWT","kid":"fake-1"}"#);
        let body = B64URL.encode(serde_json::to_vec(&Value::Object(c)).unwrap_or_default());
        let input = format!("{header}.{body}");
        let sig = self.key.sign(&SystemRandom::new(), input.as_bytes()).expect("sign");
        format!("{input}.{}", B64URL.encode(sig.as_ref()))
    }
}

/// The running issuer; stops when dropped.
pub struct FakeOidcIssuer {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl FakeOidcIssuer {
    /// Starts on `127.0.0.1`, minting tokens that carry `claims` (e.g. `repository`, `ref`, `workflow`).
    pub fn start(claims: Value) -> std::io::Result<FakeOidcIssuer> {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(|_| std::io::Error::other("keygen"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| std::io::Error::other("key"))?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let mut token = [0u8; 16];
        ring::rand::SecureRandom::fill(&rng, &mut token).map_err(|_| std::io::Error::other("rng"))?;
        let shared = Arc::new(Shared {
            key,
            url: format!("http://{addr}"),
            claims: claims.as_object().cloned().unwrap_or_default(),
            request_token: format!("ghs_{}", crate::util::hex(&token)),
            audiences: Mutex::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shared.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    let _ = serve(&s, c);
                }
            }
        });
        Ok(FakeOidcIssuer { shared, stop, addr, thread: Some(thread) })
    }

    /// The issuer URL (the tokens' `iss`).
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// What GitHub puts in `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub fn request_url(&self) -> String {
        format!("{}/token?api-version=2.0", self.shared.url)
    }

    /// What GitHub puts in `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub fn request_token(&self) -> &str {
        &self.shared.request_token
    }

    /// The issuer's public key set, for `POST /__emulator/trusted-publishers`.
    pub fn jwks(&self) -> Value {
        let p = self.shared.key.public_key().as_ref();
        json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "fake-1",
            "x": B64URL.encode(&p[1..33]), "y": B64URL.encode(&p[33..65]),
        }] })
    }

    /// An id token for `audience`, as if minted by the CI (for `HF_OIDC_ID_TOKEN`).
    pub fn mint(&self, audience: &str) -> String {
        self.shared.mint(audience, &Value::Null)
    }

    /// A correctly signed id token with some claims replaced (e.g. an `exp` in the past).
    pub fn mint_with(&self, audience: &str, overrides: Value) -> String {
        self.shared.mint(audience, &overrides)
    }

    /// The audiences requested so far.
    pub fn audiences(&self) -> Vec<String> {
        self.shared.audiences.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for FakeOidcIssuer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(s: &Shared, mut conn: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut auth = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            auth = Some(v.trim().to_string());
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let q = parse_query(query);
    let audience = q.iter().find(|(k, _)| k == "audience").map(|(_, v)| v.clone());
    let authorized = auth
        .as_deref()
        .is_some_and(|a| a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("bearer ")) == Some(s.request_token.as_str()));
    let (status, body) = match (path, audience) {
        ("/token", _) if !authorized => ("401 Unauthorized", json!({ "message": "Bad credentials" })),
        ("/token", Some(aud)) => {
            s.audiences.lock().unwrap_or_else(|p| p.into_inner()).push(aud.clone());
            ("200 OK", json!({ "count": 1, "value": s.mint(&aud, &Value::Null) }))
        }
        ("/token", None) => ("400 Bad Request", json!({ "message": "audience is required" })),
        _ => ("404 Not Found", json!({ "message": "Not Found" })),
    };
    let body = body.to_string();
    write!(
        conn,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    conn.flush()
}
