//! A JSON API whose handlers reload while the server runs: `POST /greet` with `{"name": "Ada"}`
//! answers `{"message": "Hello, Ada!", "count": 1}`, `GET /stats` says how many were greeted.
//!
//! The state is the program's (the router holds it), so it survives every reload; the handler
//! and the helper it calls are `#[hot]`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use hotfn_runtime::hot;
use serde::{Deserialize, Serialize};

/// What the server keeps between requests.
#[derive(Default)]
pub struct Guests {
    /// How many greetings were answered.
    pub greeted: AtomicU64,
    /// The last name greeted.
    pub last: Mutex<String>,
}

/// The body of `POST /greet`.
#[derive(Deserialize)]
pub struct Guest {
    /// Whom to greet.
    pub name: String,
}

/// The answer of `POST /greet`.
#[derive(Serialize)]
pub struct Greeting {
    /// The greeting.
    pub message: String,
    /// How many greetings the server answered, this one included.
    pub count: u64,
}

/// The answer of `GET /stats`.
#[derive(Serialize)]
pub struct Stats {
    /// How many greetings the server answered.
    pub greeted: u64,
    /// The last name greeted.
    pub last: String,
}

/// The service: its routes, with the state they share.
pub fn app(guests: Arc<Guests>) -> Router {
    Router::new()
        .route("/greet", post(greet))
        .route("/stats", get(stats))
        .with_state(guests)
}

/// `POST /greet`: counts the guest and greets them.
#[hot]
pub async fn greet(State(guests): State<Arc<Guests>>, Json(guest): Json<Guest>) -> Json<Greeting> {
    // Stands for a database call: the request is still in this handler when a reload lands.
    tokio::time::sleep(Duration::from_millis(2)).await;
    let count = guests.greeted.fetch_add(1, Ordering::SeqCst) + 1;
    guest
        .name
        .clone_into(&mut guests.last.lock().unwrap_or_else(PoisonError::into_inner));
    Json(Greeting {
        message: greeting(&guest.name),
        count,
    })
}

/// The greeting's text: edit it while the server runs.
#[hot]
pub fn greeting(name: &str) -> String {
    format!("Hello, {name}!")
}

/// `GET /stats`: not hot, to compare with.
async fn stats(State(guests): State<Arc<Guests>>) -> Json<Stats> {
    Json(Stats {
        greeted: guests.greeted.load(Ordering::SeqCst),
        last: guests
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
    })
}
