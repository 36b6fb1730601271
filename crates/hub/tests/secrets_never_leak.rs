//! Tokens (Hub tokens, Space JWTs) and secret values never appear in any error's Display, Debug or JSON, nor in
//! the Debug output of the types that hold them.

mod common;

use std::ops::ControlFlow;

use common::*;
use serde_json::json;
use spacesmith_hub::*;

const SECRET_VALUE: &str = "sk-very-secret-value";

fn assert_clean(what: &str, text: &str, jwt: &str) {
    for secret in [ALICE, BOB, "hf_wrong_token_zzz", SECRET_VALUE, jwt] {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

#[test]
fn no_error_or_debug_output_contains_a_secret() {
    let env = start();
    let s = create(&env, "alice/leak");
    let jwt = env.api.space_jwt(&s).unwrap().token.expose().to_string();
    assert!(jwt.len() > 20);
    let (bob, _) = client(&env.url, Some(BOB));
    let (bad, _) = client(&env.url, Some("hf_wrong_token_zzz"));
    let (anon, _) = client(&env.url, None);
    let secret = SecretEntry { key: "K".into(), value: SecretValue::new(SECRET_VALUE), description: None };
    let mut errors: Vec<HubError> = vec![
        bad.whoami().unwrap_err(),
        bad.add_secret(&s, &secret).unwrap_err(),
        anon.whoami().unwrap_err(),
        anon.add_secret(&s, &secret).unwrap_err(),
        bob.add_secret(&s, &secret).unwrap_err(),
        bob.create_space(&space("alice/x"), &CreateSpace::new("docker")).unwrap_err(),
        env.api.space_runtime(&space("alice/missing")).unwrap_err(),
        env.api.request_hardware(&s, "nope", None).unwrap_err(),
        env.api.create_space(&s, &CreateSpace::new("docker")).unwrap_err(),
        SpaceId::parse("alice/bad id").unwrap_err(),
    ];
    fault(&env.url, json!({ "kind": "status", "status": 503, "count": 100, "path": "/api/spaces/*/secrets" }));
    errors.push(env.api.add_secret(&s, &secret).unwrap_err());
    control(&env.url, "DELETE", "faults", None);
    fault(&env.url, json!({ "kind": "status", "status": 429, "count": 100, "path": "/api/whoami-v2" }));
    errors.push(env.api.whoami().unwrap_err());
    // The logs host refusing the JWT-authenticated stream.
    fault(&env.url, json!({ "kind": "status", "status": 500, "count": 100, "path": "/logs-host/*" }));
    let logs = HubLogs::new(env.api.clone());
    let jwt_opts = StreamOptions::new(false).via(LogSource::Jwt);
    errors.push(logs.stream_logs(&s, LogKind::Build, &jwt_opts, &mut |_| ControlFlow::Continue(())).unwrap_err());
    control(&env.url, "DELETE", "faults", None);
    // A commit that conflicts, and a dropped commit.
    let stale = CommitRequest {
        summary: "x".into(),
        description: String::new(),
        parent_commit: Some("0".repeat(40)),
        create_pr: false,
        ops: vec![CommitOp::File { path: "a.txt".into(), source: FileSource::Bytes(SECRET_VALUE.as_bytes().to_vec()) }],
    };
    errors.push(env.api.commit(&s, "main", &stale).unwrap_err());
    fault(&env.url, json!({ "kind": "drop", "path": "/api/spaces/*/commit/*", "afterBytes": 10 }));
    errors.push(env.api.commit(&s, "main", &CommitRequest { parent_commit: None, ..stale.clone() }).unwrap_err());
    // Nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (gone, _) = client(&format!("http://127.0.0.1:{port}"), Some(ALICE));
    errors.push(gone.whoami().unwrap_err());
    errors.push(gone.add_secret(&s, &secret).unwrap_err());

    let codes: std::collections::BTreeSet<&str> = errors.iter().map(|e| e.code()).collect();
    for code in ["BAD_TOKEN", "NO_TOKEN", "NO_PERMISSION", "SPACE_NOT_FOUND", "INVALID_HARDWARE", "ALREADY_EXISTS"] {
        assert!(codes.contains(code), "{code} not exercised: {codes:?}");
    }
    for code in ["INVALID_SPACE_ID", "HUB_UNAVAILABLE", "RATE_LIMITED", "CONFLICT", "NETWORK_ERROR"] {
        assert!(codes.contains(code), "{code} not exercised: {codes:?}");
    }
    for e in &errors {
        let mut chain = format!("{e}\n{e:?}\n{}", e.to_json());
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            chain.push_str(&format!("\n{s}\n{s:?}"));
            src = s.source();
        }
        assert_clean(e.code(), &chain, &jwt);
        assert!(!e.to_string().is_empty() && e.hint().is_some() || e.code() == "ENTRY_NOT_FOUND", "{e}");
    }

    // Types that hold secrets print masks.
    let mut opts = CreateSpace::new("docker");
    opts.secrets.push(secret.clone());
    let resolved = ResolvedToken { token: Token::new(ALICE), source: TokenSource::Env("HF_TOKEN") };
    let auth = EnvAuth::with_vars([("HF_TOKEN", ALICE)]);
    for (what, text) in [
        ("CreateSpace", format!("{opts:?}")),
        ("ResolvedToken", format!("{resolved:?} {}", resolved.token)),
        ("HubClient", format!("{:?}", env.api)),
        ("EnvAuth", format!("{auth:?} {:?}", auth.resolve_token().unwrap())),
        ("SpaceJwt", format!("{:?}", env.api.space_jwt(&s).unwrap())),
    ] {
        assert_clean(what, &text, &jwt);
    }
    // The emulator's request log names users, never tokens.
    assert_clean("request log", &serde_json::to_string(&requests(&env.url)).unwrap(), &jwt);
}
