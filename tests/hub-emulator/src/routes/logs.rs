//! Build and run logs as Server-Sent Events (reference §4.6): each event is
//! `data: {"data": "<line>", "timestamp": "<ISO-8601>"}` followed by a blank line. A stream replays the buffered
//! history of the current build or run, then tails it, sending `: keep-alive` comments while idle; it ends
//! cleanly when the build/run is over (a new build or run gets a new buffer).
//!
//! Two entry points serve the same streams:
//! - the Hub path `GET /api/spaces/{ns}/{name}/logs/{build|run}` with the Hub token;
//! - the logs host `GET /logs-host/v1/{ns}/{name}/logs/{build|run}` (on the same listener; the real host is
//!   `https://api.hf.space/v1/...`) with `Authorization: Bearer <jwt>` from `GET /api/spaces/{id}/jwt`.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::json;

use super::read_access;
use crate::faults::FaultRule;
use crate::http::{ApiError, ChannelBody, Resp, set_header};
use crate::logbuf::LogHandle;
use crate::model::RepoKey;
use crate::routes::space::verify_jwt;
use crate::server::Ctx;

fn pick(ctx: &Ctx, key: &RepoKey, kind: &str, check_token: bool) -> Result<LogHandle, ApiError> {
    if kind != "build" && kind != "run" {
        return Err(ApiError::not_found("Unknown log type: use build or run"));
    }
    let st = ctx.app.lock();
    let repo = if check_token { read_access(&st, ctx, key)? } else { st.get(key).ok_or_else(ApiError::repo_not_found)? };
    let space = repo.space.as_ref().ok_or_else(ApiError::repo_not_found)?;
    Ok(if kind == "build" { space.build_log.clone() } else { space.run_log.clone() })
}

pub async fn hub_logs(ctx: &mut Ctx, key: RepoKey, kind: &str) -> Result<Resp, ApiError> {
    let log = pick(ctx, &key, kind, true)?;
    Ok(stream(ctx, log))
}

pub async fn logs_host(ctx: &mut Ctx, key: RepoKey, kind: &str) -> Result<Resp, ApiError> {
    let token = match ctx.header("authorization") {
        Some(v) => v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or("").trim().to_string(),
        None => ctx.q("__sign").unwrap_or("").to_string(),
    };
    if token.is_empty() {
        return Err(ApiError::unauthorized("Missing JWT: get one from /api/spaces/{id}/jwt"));
    }
    verify_jwt(&ctx.app, &token, &key)?;
    let log = pick(ctx, &key, kind, false)?;
    Ok(stream(ctx, log))
}

fn event_line(data: &str, timestamp: &str) -> Bytes {
    Bytes::from(format!("data: {}\n\n", json!({ "data": data, "timestamp": timestamp })))
}

fn stream(ctx: &Ctx, log: LogHandle) -> Resp {
    let keepalive = Duration::from_secs_f64(ctx.app.tun().keepalive_seconds.max(0.01));
    let cut: Option<FaultRule> = ctx.sse_cut.clone();
    let mut shutdown = ctx.app.shutdown.clone();
    let (tx, body) = ChannelBody::channel(64);
    tokio::spawn(async move {
        let mut rx = log.subscribe();
        let mut next = 0usize;
        let mut sent = 0u64;
        let cut_after = cut.as_ref().map(|c| c.after_events.unwrap_or(0));
        let abort = cut.as_ref().is_none_or(|c| c.mode.as_deref() != Some("close"));
        let cut_now = |tx: &tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>| {
            let tx = tx.clone();
            async move {
                if abort {
                    // Let hyper flush the events already sent, then break the connection.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ =
                        tx.send(Err(io::Error::new(io::ErrorKind::ConnectionAborted, "SSE stream cut by fault injection"))).await;
                }
            }
        };
        if cut_after == Some(0) {
            cut_now(&tx).await;
            return;
        }
        loop {
            let (events, closed) = log.read_from(next);
            for e in events {
                next += 1;
                if tx.send(Ok(event_line(&e.data, &e.timestamp))).await.is_err() {
                    return;
                }
                sent += 1;
                if cut_after == Some(sent) {
                    cut_now(&tx).await;
                    return;
                }
            }
            if closed {
                return;
            }
            tokio::select! {
                r = rx.changed() => if r.is_err() { return },
                _ = tokio::time::sleep(keepalive) => {
                    if tx.send(Ok(Bytes::from_static(b": keep-alive\n\n"))).await.is_err() {
                        return;
                    }
                }
                _ = tx.closed() => return,
                _ = shutdown.changed() => return,
            }
        }
    });
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::OK;
    set_header(&mut r, "content-type", "text/event-stream");
    set_header(&mut r, "cache-control", "no-cache");
    set_header(&mut r, "x-accel-buffering", "no");
    r
}
