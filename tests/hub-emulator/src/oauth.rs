//! `POST /oauth/token`, as huggingface_hub calls it (hub-docs `trusted-publishers.md`, huggingface_hub
//! `_oidc.py`, `utils/_oauth_device.py`):
//!
//! - **Token exchange** (RFC 8693, JSON): an OIDC id token for a short-lived (1 h) `hf_jwt_…` token with
//!   write access to one repo (`resource`), when a trusted publisher registered for that repo matches: same
//!   issuer, a valid RS256/ES256 signature from the publisher's JWKS, `aud` = this Hub's URL, not expired,
//!   and every configured claim equal. Errors: 400 `invalid_request` / `invalid_grant`.
//! - **Refresh** (`grant_type=refresh_token`, form or JSON): a new access token (and a rotated refresh
//!   token) for a login issued through the control API; an unknown or revoked refresh token is `invalid_grant`.
//!
//! Trusted publishers and logins are set through the control API (`/__emulator/trusted-publishers`,
//! `/__emulator/oauth/logins`, `/__emulator/oauth/revoke`) and are not persisted with `--data-dir`.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hyper::StatusCode;
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::{ApiError, Resp, json_response, ok_json};
use crate::model::{RepoKey, RepoType};
use crate::server::Ctx;
use crate::util::{hex, now_ms, parse_query};

const EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// Exchanged tokens live one hour (hub-docs).
const EXCHANGED_TTL: i64 = 3600;
/// Refreshed login tokens live 30 days **[unverified]**.
const LOGIN_TTL: i64 = 30 * 24 * 3600;

/// A repo trusted publisher (set with `POST /__emulator/trusted-publishers`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedPublisher {
    /// `ns/name`, `datasets/ns/name` or `spaces/ns/name`.
    pub resource: String,
    /// The `iss` the id token must carry.
    pub issuer: String,
    /// The issuer's public keys (`{"keys": [...]}`), standing in for its OIDC discovery document.
    pub jwks: Value,
    /// Claims that must match exactly (e.g. `repository`, `ref`, `workflow`).
    #[serde(default)]
    pub claims: serde_json::Map<String, Value>,
}

/// A token the emulator issued: whose, until when, and (exchanged tokens) the one repo it may touch.
#[derive(Debug, Clone)]
pub struct Issued {
    pub user: String,
    pub expires_at: i64,
    pub scope: Option<RepoKey>,
}

#[derive(Default)]
pub struct OAuthState {
    pub publishers: Vec<TrustedPublisher>,
    pub access: HashMap<String, Issued>,
    /// refresh token → user.
    pub refresh: HashMap<String, String>,
}

fn now() -> i64 {
    (now_ms() / 1000) as i64
}

fn random_token(prefix: &str) -> String {
    let mut b = [0u8; 20];
    ring::rand::SystemRandom::new().fill(&mut b).expect("system randomness");
    format!("{prefix}{}", hex(&b))
}

fn oauth_error(code: &str, description: &str) -> Resp {
    json_response(StatusCode::BAD_REQUEST, &json!({ "error": code, "error_description": description }))
}

/// Looks up an issued, unexpired token.
pub fn issued(ctx_app: &crate::app::App, token: &str) -> Option<Issued> {
    let st = ctx_app.oauth.lock().unwrap_or_else(|p| p.into_inner());
    st.access.get(token).filter(|i| i.expires_at > now()).cloned()
}

/// `POST /oauth/token`.
pub async fn token(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let body = ctx.body_bytes(1024 * 1024).await?;
    let json_body = ctx.header("content-type").is_some_and(|c| c.contains("json"));
    let params: HashMap<String, String> = if json_body {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect(),
            _ => return Ok(oauth_error("invalid_request", "The request body must be a JSON object")),
        }
    } else {
        parse_query(&String::from_utf8_lossy(&body)).into_iter().collect()
    };
    let p = Params(params);
    match p.get("grant_type") {
        Some(EXCHANGE_GRANT) => Ok(exchange(ctx, &p)),
        Some("refresh_token") => Ok(refresh(ctx, &p)),
        Some(_) => Ok(oauth_error("unsupported_grant_type", "Unsupported grant_type")),
        None => Ok(oauth_error("invalid_request", "Missing grant_type")),
    }
}

struct Params(HashMap<String, String>);

impl Params {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }
}

fn refresh(ctx: &Ctx, p: &Params) -> Resp {
    let (Some(old), Some(_client)) = (p.get("refresh_token"), p.get("client_id")) else {
        return oauth_error("invalid_request", "Missing refresh_token or client_id");
    };
    let mut st = ctx.app.oauth.lock().unwrap_or_else(|p| p.into_inner());
    let Some(user) = st.refresh.remove(old) else {
        return oauth_error("invalid_grant", "The refresh token is invalid, expired or revoked");
    };
    let (access, refresh) = (random_token("hf_oauth_"), random_token("hf_oauth_refresh_"));
    st.access.insert(access.clone(), Issued { user: user.clone(), expires_at: now() + LOGIN_TTL, scope: None });
    st.refresh.insert(refresh.clone(), user);
    json_response(
        StatusCode::OK,
        &json!({ "access_token": access, "token_type": "bearer", "expires_in": LOGIN_TTL, "refresh_token": refresh }),
    )
}

/// `resource` → the repo it names (`ns/name` is a model).
fn resource_repo(resource: &str) -> Option<RepoKey> {
    let parts: Vec<&str> = resource.split('/').collect();
    let (t, ns, name) = match parts.as_slice() {
        [ns, name] => (RepoType::Model, *ns, *name),
        [t, ns, name] => (RepoType::from_plural(t)?, *ns, *name),
        _ => return None,
    };
    (!ns.is_empty() && !name.is_empty()).then(|| RepoKey::new(t, format!("{ns}/{name}")))
}

fn exchange(ctx: &Ctx, p: &Params) -> Resp {
    let (Some(ID_TOKEN_TYPE), Some(subject), Some(resource)) =
        (p.get("subject_token_type"), p.get("subject_token"), p.get("resource"))
    else {
        return oauth_error("invalid_request", "Missing or invalid subject_token_type, subject_token or resource");
    };
    let Some(key) = resource_repo(resource) else {
        // A bare username asks for a user publisher's read-only token: not emulated.
        return oauth_error("invalid_request", "Invalid resource");
    };
    // The Hub does not say which check failed.
    let denied = || oauth_error("invalid_grant", "The subject token could not be exchanged for this resource");
    let Some((claims, header, signing_input, sig)) = decode_jwt(subject) else { return denied() };
    let owner = match ctx.app.lock().get(&key) {
        Some(r) => r.owner.clone(),
        None => return denied(),
    };
    let publishers = ctx.app.oauth.lock().unwrap_or_else(|p| p.into_inner()).publishers.clone();
    let matched = publishers.iter().any(|tp| {
        resource_repo(&tp.resource).as_ref() == Some(&key)
            && claims.get("iss").and_then(Value::as_str) == Some(tp.issuer.as_str())
            && verify_signature(&tp.jwks, &header, signing_input.as_bytes(), &sig)
            && audience_ok(&claims, &ctx.base)
            && time_ok(&claims)
            && tp.claims.iter().all(|(k, v)| claims.get(k) == Some(v))
    });
    if !matched {
        return denied();
    }
    let access = random_token("hf_jwt_");
    ctx.app
        .oauth
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .access
        .insert(access.clone(), Issued { user: owner, expires_at: now() + EXCHANGED_TTL, scope: Some(key) });
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": EXCHANGED_TTL,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        }),
    )
}

type Decoded = (serde_json::Map<String, Value>, serde_json::Map<String, Value>, String, Vec<u8>);

fn decode_jwt(jwt: &str) -> Option<Decoded> {
    let mut it = jwt.split('.');
    let (h, c, s) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    let obj = |part: &str| -> Option<serde_json::Map<String, Value>> {
        match serde_json::from_slice(&B64URL.decode(part).ok()?).ok()? {
            Value::Object(m) => Some(m),
            _ => None,
        }
    };
    Some((obj(c)?, obj(h)?, format!("{h}.{c}"), B64URL.decode(s).ok()?))
}

fn verify_signature(jwks: &Value, header: &serde_json::Map<String, Value>, msg: &[u8], sig: &[u8]) -> bool {
    use ring::signature;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let kid = header.get("kid").and_then(Value::as_str);
    let b = |k: &Value, f: &str| k.get(f).and_then(Value::as_str).and_then(|v| B64URL.decode(v).ok());
    let keys = jwks.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
    keys.iter().filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid).any(|k| {
        match (alg, k.get("kty").and_then(Value::as_str)) {
            ("RS256", Some("RSA")) => match (b(k, "n"), b(k, "e")) {
                (Some(n), Some(e)) => {
                    signature::RsaPublicKeyComponents { n, e }.verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, sig).is_ok()
                }
                _ => false,
            },
            ("ES256", Some("EC")) if k.get("crv").and_then(Value::as_str) == Some("P-256") => match (b(k, "x"), b(k, "y")) {
                (Some(x), Some(y)) => {
                    let mut point = vec![4u8];
                    point.extend(x);
                    point.extend(y);
                    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).verify(msg, sig).is_ok()
                }
                _ => false,
            },
            _ => false,
        }
    })
}

/// `aud` must be this Hub's URL (the real Hub accepts only `https://huggingface.co`).
fn audience_ok(claims: &serde_json::Map<String, Value>, base: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(a)) => a.trim_end_matches('/') == base,
        Some(Value::Array(v)) => v.iter().any(|a| a.as_str().is_some_and(|a| a.trim_end_matches('/') == base)),
        _ => false,
    }
}

fn time_ok(claims: &serde_json::Map<String, Value>) -> bool {
    let t = now();
    let exp_ok = claims.get("exp").and_then(Value::as_i64).is_some_and(|e| e > t);
    let nbf_ok = claims.get("nbf").and_then(Value::as_i64).is_none_or(|n| n <= t + 60);
    exp_ok && nbf_ok
}

// ---------- control API ----------

/// `POST /__emulator/trusted-publishers` (one publisher), `GET` (the list), `DELETE` (forget all).
pub async fn control_publishers(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let app = ctx.app.clone();
    match ctx.method.as_str() {
        "POST" => {
            let v = ctx.body_json().await?;
            let tp: TrustedPublisher =
                serde_json::from_value(v).map_err(|e| ApiError::bad_request(format!("invalid trusted publisher: {e}")))?;
            if resource_repo(&tp.resource).is_none() {
                return Err(ApiError::bad_request("resource must be ns/name, datasets/ns/name or spaces/ns/name"));
            }
            let mut st = app.oauth.lock().unwrap_or_else(|p| p.into_inner());
            st.publishers.push(tp);
            ok_json(json!({ "id": st.publishers.len() }))
        }
        "DELETE" => {
            app.oauth.lock().unwrap_or_else(|p| p.into_inner()).publishers.clear();
            ok_json(json!({}))
        }
        _ => ok_json(json!(app.oauth.lock().unwrap_or_else(|p| p.into_inner()).publishers)),
    }
}

/// `POST /__emulator/oauth/logins` `{"user", "expiresIn"?}`: what `hf auth login` receives (a negative
/// `expiresIn` gives an already expired access token).
pub async fn control_login(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let v = ctx.body_json().await?;
    let user = v.get("user").and_then(Value::as_str).unwrap_or_default().to_string();
    if !ctx.app.users.iter().any(|u| u.name == user) {
        return Err(ApiError::bad_request(format!("unknown user {user:?}")));
    }
    let expires_in = v.get("expiresIn").and_then(Value::as_i64).unwrap_or(LOGIN_TTL);
    let (access, refresh) = (random_token("hf_oauth_"), random_token("hf_oauth_refresh_"));
    let expires_at = now() + expires_in;
    let mut st = ctx.app.oauth.lock().unwrap_or_else(|p| p.into_inner());
    st.access.insert(access.clone(), Issued { user: user.clone(), expires_at, scope: None });
    st.refresh.insert(refresh.clone(), user);
    ok_json(json!({ "accessToken": access, "refreshToken": refresh, "expiresIn": expires_in, "expiresAt": expires_at }))
}

/// `POST /__emulator/oauth/revoke` `{"refreshToken"}`: the session ends; refreshing it is `invalid_grant`.
pub async fn control_revoke(ctx: &mut Ctx) -> Result<Resp, ApiError> {
    let v = ctx.body_json().await?;
    let t = v.get("refreshToken").and_then(Value::as_str).unwrap_or_default();
    let removed = ctx.app.oauth.lock().unwrap_or_else(|p| p.into_inner()).refresh.remove(t).is_some();
    ok_json(json!({ "revoked": removed }))
}
