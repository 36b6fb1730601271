//! What the host and the plugins both read out of a Space project, written once. No dependencies and no
//! I/O, so the plugins compile it to wasm32-wasip2 and the host links it natively.
//!
//! This crate is in both workspaces' dependency graphs (the root one and `plugins/`): keep it small.

/// Whether an environment variable name holds a credential: a `_`-separated word TOKEN, SECRET, PASSWORD,
/// PASSWD, PASS, APIKEY, CREDENTIAL(S), or API/ACCESS/PRIVATE followed by KEY; not the names of where one
/// is (`*_PATH`, `*_FILE`, `*_DIR`, `*_URL`, `*_NAME`, `*_ENDPOINT`, `*_HEADER`), so `HF_TOKEN_PATH` and
/// `TOKENIZERS_PARALLELISM` are not secrets.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let parts: Vec<&str> = upper.split('_').filter(|p| !p.is_empty()).collect();
    if parts.last().is_some_and(|p| matches!(*p, "PATH" | "FILE" | "DIR" | "URL" | "NAME" | "ENDPOINT" | "HEADER")) {
        return false;
    }
    parts
        .iter()
        .any(|p| matches!(*p, "TOKEN" | "SECRET" | "PASSWORD" | "PASSWD" | "PASS" | "APIKEY" | "CREDENTIAL" | "CREDENTIALS"))
        || parts.windows(2).any(|w| matches!(w[0], "API" | "ACCESS" | "PRIVATE") && w[1] == "KEY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_secrets_and_their_locations_are_not() {
        for secret in [
            "HF_TOKEN",
            "GIT_TOKEN",
            "API_TOKEN",
            "OPENAI_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASSWORD",
            "db_pass",
            "APIKEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "SSH_PRIVATE_KEY",
        ] {
            assert!(looks_secret(secret), "{secret}");
        }
        for plain in [
            "TOKENIZERS_PARALLELISM",
            "HF_TOKEN_PATH",
            "SECRET_FILE",
            "PASSWORD_URL",
            "KEYBOARD",
            "PORT",
            "HOME",
            "PWD",
            "MONKEY_KEY",
            "SPACE_ID",
        ] {
            assert!(!looks_secret(plain), "{plain}");
        }
    }
}
