//! Serves the greeting API on `ADDR` (default `127.0.0.1:3000`; `127.0.0.1:0` takes a free
//! port) and prints `listening on http://<address>` once it accepts connections.

use std::sync::Arc;

#[tokio::main]
async fn main() {
    // Watch the sources from the start, not from the first request.
    hotfn_runtime::Config::new().apply();
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {addr}: {e}"));
    let local = listener.local_addr().expect("the listener has an address");
    println!("listening on http://{local}");
    let app = hotfn_example_axum::app(Arc::default());
    axum::serve(listener, app).await.expect("the server failed");
}
