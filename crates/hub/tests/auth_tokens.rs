//! Tokens huggingface_hub obtains by itself, against the emulator: the OIDC exchange (Trusted Publishers,
//! with a fake GitHub OIDC issuer on loopback) and the refresh of `hf auth login` tokens kept in a fixture
//! `HF_HOME` (`token` + `stored_tokens`).

mod common;

use common::*;
use hub_emulator::oidc_issuer::FakeOidcIssuer;
use serde_json::{Value, json};
use spacesmith_hub::oauth::{parse_stored_tokens, unix_now};
use spacesmith_hub::*;

fn auth(vars: &[(&str, &str)]) -> EnvAuth {
    EnvAuth::with_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn token_requests(url: &str) -> Vec<Value> {
    requests(url).into_iter().filter(|r| r["path"] == "/oauth/token").collect()
}

/// A Space with a trusted publisher for the fake issuer's `repository` claim.
fn publisher_setup(env: &Env, issuer: &FakeOidcIssuer, resource: &str, claims: Value) {
    control(
        &env.url,
        "POST",
        "trusted-publishers",
        Some(json!({ "resource": resource, "issuer": issuer.url(), "jwks": issuer.jwks(), "claims": claims })),
    );
}

fn github_vars<'a>(env: &'a Env, issuer: &'a FakeOidcIssuer, request_url: &'a str, resource: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("HF_ENDPOINT", env.url.as_str()),
        ("GITHUB_ACTIONS", "true"),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", issuer.request_token()),
        ("HF_OIDC_RESOURCE", resource),
        // OIDC wins over HF_TOKEN when HF_OIDC_RESOURCE is set, as in huggingface_hub.
        ("HF_TOKEN", BOB),
    ]
}

#[test]
fn oidc_exchange_on_github_actions_gives_a_token_for_that_space_only() {
    let env = start();
    let s = create(&env, "alice/demo");
    create(&env, "alice/other");
    let issuer = FakeOidcIssuer::start(
        json!({ "repository": "acme/app", "ref": "refs/heads/main", "sub": "repo:acme/app:ref:refs/heads/main" }),
    )
    .unwrap();
    publisher_setup(&env, &issuer, "spaces/alice/demo", json!({ "repository": "acme/app", "ref": "refs/heads/main" }));
    let request_url = issuer.request_url();
    let a = auth(&github_vars(&env, &issuer, &request_url, "spaces/alice/demo"));
    let client = std::sync::Arc::new(HubClient::from_auth(&a).unwrap());
    assert_eq!(client.token_source(), Some(&TokenSource::Oidc("spaces/alice/demo".into())));
    // The id token was asked for the Hub's URL as audience, and exchanged once even if resolved again.
    assert_eq!(issuer.audiences(), std::slice::from_ref(&env.url));
    a.resolve_token().unwrap();
    assert_eq!(token_requests(&env.url).len(), 1);

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", README);
    write(dir.path(), "Dockerfile", DOCKERFILE);
    let (_, report) = deploy(&*client, &s, dir.path(), "from CI").unwrap();
    assert!(report.commit.is_some());
    let files: Vec<String> =
        repo(&env.url, "alice/demo")["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().into()).collect();
    assert!(files.contains(&"Dockerfile".to_string()), "{files:?}");

    // Scoped to one Space: another one of the same owner is out of reach, and so is creating repos.
    let other = client.space_info(&space("alice/other"), None).unwrap_err();
    assert_eq!(other.code(), "SPACE_NOT_FOUND");
    assert!(client.create_space(&space("alice/new"), &CreateSpace::new("docker")).is_err());
    assert_eq!(repo(&env.url, "alice/new"), Value::Null);
}

#[test]
fn oidc_exchange_failures_are_errors_not_fallbacks() {
    let env = start();
    create(&env, "alice/demo");
    let issuer = FakeOidcIssuer::start(json!({ "repository": "acme/fork" })).unwrap();
    publisher_setup(&env, &issuer, "spaces/alice/demo", json!({ "repository": "acme/app" }));
    let request_url = issuer.request_url();

    // Claims that do not match: the Hub refuses, and HF_TOKEN is not used instead.
    let e = auth(&github_vars(&env, &issuer, &request_url, "spaces/alice/demo")).resolve_token().unwrap_err();
    assert_eq!(e.code(), "OIDC_EXCHANGE_FAILED");
    let text = e.to_string();
    assert!(text.contains("invalid_grant") && text.contains("Trusted Publisher") && text.contains("spaces/alice/demo"), "{text}");
    assert!(!text.contains(BOB) && !text.contains(issuer.request_token()), "{text}");

    // Without GitHub's id-token variables (no `id-token: write`).
    let e = auth(&[("HF_ENDPOINT", &env.url), ("GITHUB_ACTIONS", "true"), ("HF_OIDC_RESOURCE", "spaces/alice/demo")])
        .resolve_token()
        .unwrap_err();
    assert!(e.to_string().contains("id-token: write"), "{e}");
    // Outside a supported CI and without HF_OIDC_ID_TOKEN.
    let e = auth(&[("HF_ENDPOINT", &env.url), ("HF_OIDC_RESOURCE", "spaces/alice/demo")]).resolve_token().unwrap_err();
    assert!(e.to_string().contains("HF_OIDC_ID_TOKEN"), "{e}");
    // An empty HF_OIDC_RESOURCE is "not set".
    let r = auth(&[("HF_ENDPOINT", &env.url), ("HF_OIDC_RESOURCE", ""), ("HF_TOKEN", ALICE)]).resolve_token().unwrap().unwrap();
    assert_eq!(r.source, TokenSource::Env("HF_TOKEN"));
}

#[test]
fn a_pre_minted_id_token_is_exchanged_directly() {
    let env = start();
    create(&env, "alice/demo");
    let issuer = FakeOidcIssuer::start(json!({ "project_path": "acme/app" })).unwrap();
    publisher_setup(&env, &issuer, "spaces/alice/demo", json!({ "project_path": "acme/app" }));
    let id_token = issuer.mint(&env.url);
    let a = auth(&[("HF_ENDPOINT", &env.url), ("HF_OIDC_RESOURCE", "spaces/alice/demo"), ("HF_OIDC_ID_TOKEN", &id_token)]);
    let r = a.resolve_token().unwrap().unwrap();
    assert!(r.token.expose().starts_with("hf_jwt_"));
    assert!(issuer.audiences().is_empty(), "nothing minted");
    // An id token for another audience is refused.
    let wrong = issuer.mint("https://huggingface.co");
    let e = auth(&[("HF_ENDPOINT", &env.url), ("HF_OIDC_RESOURCE", "spaces/alice/demo"), ("HF_OIDC_ID_TOKEN", &wrong)])
        .resolve_token()
        .unwrap_err();
    assert_eq!(e.code(), "OIDC_EXCHANGE_FAILED");
}

/// A fixture HF_HOME as `hf auth login` leaves it: the active token and `stored_tokens`.
fn hf_home(access: &str, refresh: &str, expires_at: i64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), access).unwrap();
    std::fs::write(
        dir.path().join("stored_tokens"),
        format!(
            "[ci]\nhf_token = {ALICE}\n\n[login]\nhf_token = {access}\nrefresh_token = {refresh}\nexpires_at = {expires_at}\n\n"
        ),
    )
    .unwrap();
    dir
}

fn login(env: &Env, expires_in: i64) -> (String, String) {
    let v = control(&env.url, "POST", "oauth/logins", Some(json!({ "user": "alice", "expiresIn": expires_in })));
    (v["accessToken"].as_str().unwrap().into(), v["refreshToken"].as_str().unwrap().into())
}

#[test]
fn a_login_token_close_to_expiry_is_refreshed_and_written_back() {
    let env = start();
    let (access, refresh) = login(&env, 3600);
    let home = hf_home(&access, &refresh, unix_now() + 3600);
    let a = auth(&[("HF_ENDPOINT", &env.url), ("HF_HOME", home.path().to_str().unwrap())]);
    let r = a.resolve_token().unwrap().unwrap();
    assert_ne!(r.token.expose(), access, "less than a day left: refreshed");
    let TokenSource::Login { name, expires_at, .. } = &r.source else { panic!("{:?}", r.source) };
    assert_eq!(name, "login");
    assert!(*expires_at > unix_now() + 29 * 86400);
    // Both files now hold the new token; the other entry is untouched; the refresh token rotated.
    assert_eq!(std::fs::read_to_string(home.path().join("token")).unwrap(), r.token.expose());
    let stored = parse_stored_tokens(&std::fs::read_to_string(home.path().join("stored_tokens")).unwrap()).unwrap();
    assert_eq!(stored["login"]["hf_token"], r.token.expose());
    assert_eq!(stored["login"]["expires_at"], expires_at.to_string());
    assert_ne!(stored["login"]["refresh_token"], refresh);
    assert_eq!(stored["ci"]["hf_token"], ALICE);
    assert!(!home.path().join("stored_tokens.lock").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("stored_tokens")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let notices = a.notices();
    assert!(notices.len() == 1 && notices[0].contains("Refreshed") && !notices[0].contains(r.token.expose()), "{notices:?}");
    let form = token_requests(&env.url);
    assert_eq!(form.len(), 1);
    // The new token works.
    let client = HubClient::from_auth(&a).unwrap();
    assert_eq!(client.whoami().unwrap().name, "alice");
}

#[test]
fn a_login_token_far_from_expiry_or_a_plain_token_is_used_as_is() {
    let env = start();
    let (access, refresh) = login(&env, 10 * 86400);
    let home = hf_home(&access, &refresh, unix_now() + 10 * 86400);
    let a = auth(&[("HF_ENDPOINT", &env.url), ("HF_HOME", home.path().to_str().unwrap())]);
    let r = a.resolve_token().unwrap().unwrap();
    assert_eq!(r.token.expose(), access);
    assert!(matches!(r.source, TokenSource::Login { .. }));
    assert!(r.source.to_string().contains("valid until"), "{}", r.source);
    // A token that is not a stored login (here: the `ci` entry, which has no refresh data).
    std::fs::write(home.path().join("token"), ALICE).unwrap();
    let a = auth(&[("HF_ENDPOINT", &env.url), ("HF_HOME", home.path().to_str().unwrap())]);
    assert_eq!(a.resolve_token().unwrap().unwrap().source, TokenSource::File(home.path().join("token")));
    assert!(token_requests(&env.url).is_empty());
    assert!(a.notices().is_empty());
}

#[test]
fn an_expired_login_that_cannot_be_refreshed_says_to_log_in_again() {
    let env = start();
    let (access, refresh) = login(&env, -60);
    control(&env.url, "POST", "oauth/revoke", Some(json!({ "refreshToken": refresh })));
    let home = hf_home(&access, &refresh, unix_now() - 60);
    let a = auth(&[("HF_ENDPOINT", &env.url), ("HF_HOME", home.path().to_str().unwrap())]);
    let r = a.resolve_token().unwrap().unwrap();
    assert_eq!(r.token.expose(), access, "the old token is kept, as huggingface_hub does");
    let notices = a.notices();
    assert!(notices.len() == 1 && notices[0].contains("expired") && notices[0].contains("hf auth login"), "{notices:?}");
    assert!(notices[0].contains("invalid_grant"), "{notices:?}");
    // The Hub then rejects it, and the error says it expired and what to run.
    let e = HubClient::from_auth(&a).unwrap().whoami().unwrap_err();
    assert_eq!(e.code(), "BAD_TOKEN");
    let text = e.to_string();
    assert!(text.contains("expired at") && text.contains("hf auth login") && !text.contains(&access), "{text}");
    assert_eq!(std::fs::read_to_string(home.path().join("token")).unwrap(), access, "files untouched");
}

#[test]
fn an_expired_stored_token_without_refresh_data_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "hf_old").unwrap();
    std::fs::write(dir.path().join("stored_tokens"), format!("[old]\nhf_token = hf_old\nexpires_at = {}\n", unix_now() - 5))
        .unwrap();
    let a = auth(&[("HF_ENDPOINT", "http://127.0.0.1:9"), ("HF_HOME", dir.path().to_str().unwrap())]);
    let r = a.resolve_token().unwrap().unwrap();
    assert_eq!(r.token.expose(), "hf_old");
    assert!(r.source.to_string().contains("which expired at"), "{}", r.source);
    let notices = a.notices();
    assert!(notices.len() == 1 && notices[0].contains("`old` expired") && notices[0].contains("hf auth login"), "{notices:?}");
}

#[test]
fn a_refresh_that_cannot_reach_the_hub_keeps_the_token_with_a_notice() {
    let home = hf_home("hf_oauth_x", "hf_oauth_refresh_x", unix_now() + 60);
    // Nothing listens on port 9 of loopback.
    let a = auth(&[("HF_ENDPOINT", "http://127.0.0.1:9"), ("HF_HOME", home.path().to_str().unwrap())]);
    let r = a.resolve_token().unwrap().unwrap();
    assert_eq!(r.token.expose(), "hf_oauth_x");
    let notices = a.notices();
    assert!(
        notices.len() == 1 && notices[0].contains("Could not refresh") && !notices[0].contains("hf_oauth_refresh_x"),
        "{notices:?}"
    );
}
