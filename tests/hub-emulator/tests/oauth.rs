//! `POST /oauth/token`: the Trusted Publishers exchange (signature, issuer, audience, expiry, claims, scope)
//! and the refresh of `hf auth login` tokens, with the fake OIDC issuer on loopback.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use common::*;
use hub_emulator::oidc_issuer::FakeOidcIssuer;
use serde_json::{Value, json};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";

fn exchange(c: &Client, subject: &str, resource: &str) -> Resp {
    c.post(
        "/oauth/token",
        None,
        &json!({ "grant_type": EXCHANGE, "subject_token_type": ID_TOKEN, "subject_token": subject, "resource": resource }),
    )
}

fn oauth_error(r: Resp) -> String {
    assert_eq!(r.status, 400, "{}", r.text());
    let v = r.json();
    assert!(v["error_description"].is_string(), "{v}");
    v["error"].as_str().unwrap().to_string()
}

/// Re-signs nothing: swaps the payload, so the signature no longer matches.
fn tamper(jwt: &str, f: impl Fn(&mut Value)) -> String {
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
    f(&mut claims);
    format!("{}.{}.{}", parts[0], B64URL.encode(serde_json::to_vec(&claims).unwrap()), parts[2])
}

#[test]
fn trusted_publisher_exchange_checks_everything_and_scopes_the_token() {
    let (emu, c) = start();
    c.create_space(ALICE, "alice/site", "static", true).expect(200);
    c.create_space(ALICE, "alice/other", "static", true).expect(200);
    let issuer = FakeOidcIssuer::start(json!({ "repository": "acme/site", "ref": "refs/heads/main" })).unwrap();
    let publisher = json!({
        "resource": "spaces/alice/site", "issuer": issuer.url(), "jwks": issuer.jwks(),
        "claims": { "repository": "acme/site", "ref": "refs/heads/main" },
    });
    c.post("/__emulator/trusted-publishers", None, &publisher).expect(200);
    assert_eq!(c.get("/__emulator/trusted-publishers", None).expect(200).json()[0]["resource"], "spaces/alice/site");

    let good = issuer.mint(&emu.url());
    // Every failed check answers the same invalid_grant.
    let other_issuer = FakeOidcIssuer::start(json!({ "repository": "acme/site", "ref": "refs/heads/main" })).unwrap();
    for bad in [
        issuer.mint("https://huggingface.co"),
        other_issuer.mint(&emu.url()),
        issuer.mint_with(&emu.url(), json!({ "ref": "refs/heads/main-backup" })),
        issuer.mint_with(&emu.url(), json!({ "exp": 1 })),
        issuer.mint_with(&emu.url(), json!({ "repository": null })),
        tamper(&good, |c| c["jti"] = json!("changed")),
        "not.a.jwt".to_string(),
    ] {
        assert_eq!(oauth_error(exchange(&c, &bad, "spaces/alice/site")), "invalid_grant");
    }
    assert_eq!(oauth_error(exchange(&c, &good, "spaces/alice/other")), "invalid_grant", "no publisher there");
    assert_eq!(oauth_error(exchange(&c, &good, "spaces/alice/missing")), "invalid_grant");
    assert_eq!(oauth_error(exchange(&c, &good, "a/b/c/d")), "invalid_request");
    let r =
        c.post("/oauth/token", None, &json!({ "grant_type": EXCHANGE, "subject_token": good, "resource": "spaces/alice/site" }));
    assert_eq!(oauth_error(r), "invalid_request", "subject_token_type is required");

    let v = exchange(&c, &good, "spaces/alice/site").expect(200).json();
    assert_eq!((v["token_type"].clone(), v["expires_in"].clone()), (json!("bearer"), json!(3600)));
    assert_eq!(v["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token");
    let token = v["access_token"].as_str().unwrap();
    assert!(token.starts_with("hf_jwt_"));

    // It writes to its Space, as the owner...
    c.commit(token, "spaces/alice/site", "main", "from CI", &[("index.html", b"<p>ci</p>")], &[], None, "").expect(200);
    assert!(c.repo_state("spaces/alice/site")["files"].as_array().unwrap().iter().any(|f| f["path"] == "index.html"));
    c.get("/api/spaces/alice/site", Some(token)).expect(200);
    // ...and is anonymous everywhere else.
    c.get("/api/spaces/alice/other", Some(token)).expect_error(404, "RepoNotFound");
    c.create_space(token, "alice/new", "static", true).expect(401);
}

#[test]
fn login_tokens_refresh_with_rotation_and_revocation() {
    let (_emu, c) = start();
    let login = c.post("/__emulator/oauth/logins", None, &json!({ "user": "alice", "expiresIn": 600 })).expect(200).json();
    let (access, refresh) = (login["accessToken"].as_str().unwrap(), login["refreshToken"].as_str().unwrap());
    assert_eq!(c.get("/api/whoami-v2", Some(access)).expect(200).json()["name"], "alice");

    let form = |rt: &str| format!("grant_type=refresh_token&refresh_token={rt}&client_id=26be6b09-91c5-47da-9861-d2d2bb7a7e36");
    let post_form = |body: String| {
        c.req("POST", "/oauth/token", None, &[("content-type", "application/x-www-form-urlencoded")], Some(body.as_bytes()))
    };
    let v = post_form(form(refresh)).expect(200).json();
    let (new_access, new_refresh) = (v["access_token"].as_str().unwrap(), v["refresh_token"].as_str().unwrap());
    assert!(new_access.starts_with("hf_oauth_") && new_access != access && new_refresh != refresh);
    assert_eq!(v["expires_in"], 30 * 24 * 3600);
    c.get("/api/whoami-v2", Some(new_access)).expect(200);
    // The old refresh token was rotated out; a missing client_id is a malformed request.
    assert_eq!(oauth_error(post_form(form(refresh))), "invalid_grant");
    assert_eq!(oauth_error(post_form(format!("grant_type=refresh_token&refresh_token={new_refresh}"))), "invalid_request");

    c.post("/__emulator/oauth/revoke", None, &json!({ "refreshToken": new_refresh })).expect(200);
    assert_eq!(oauth_error(post_form(form(new_refresh))), "invalid_grant");
    // An expired access token is refused like any bad token.
    let expired = c.post("/__emulator/oauth/logins", None, &json!({ "user": "alice", "expiresIn": -1 })).expect(200).json();
    let r = c.get("/api/whoami-v2", expired["accessToken"].as_str()).expect(401);
    assert_eq!(r.header("x-error-message"), Some("Invalid credentials in Authorization header"));
    assert_eq!(oauth_error(c.post("/oauth/token", None, &json!({ "grant_type": "password" }))), "unsupported_grant_type");
    // The request log never holds a token.
    let log = serde_json::to_string(&c.requests()).unwrap();
    assert!(!log.contains(new_access) && !log.contains(new_refresh), "{log}");
}
