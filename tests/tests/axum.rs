//! End-to-end: the axum example (`examples/axum`), copied and run as a user would, serving on a
//! loopback port while its handler is edited. Clients keep calling through the reload: every
//! request is answered, by the old code until the reload and by the new one after, and the count
//! the server keeps goes on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hotfn_tests::{App, Fixture, RELOAD, START};

/// One answer of `POST /greet`.
#[derive(Debug, Clone)]
struct Greeting {
    message: String,
    count: u64,
}

/// What one client was answered, in order.
type Answers = Arc<Mutex<Vec<Result<Greeting, String>>>>;

/// A client with its own connection, kept open between requests.
struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(base: &str) -> Client {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Client {
            agent: config.into(),
            base: base.to_owned(),
        }
    }

    fn greet(&self, name: &str) -> Result<Greeting, String> {
        let body = format!(r#"{{"name": "{name}"}}"#);
        let mut response = self
            .agent
            .post(format!("{}/greet", self.base))
            .header("content-type", "application/json")
            .send(&body)
            .map_err(|e| format!("POST /greet: {e}"))?;
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("POST /greet: reading the answer: {e}"))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("POST /greet: {e}: {text}"))?;
        match (json["message"].as_str(), json["count"].as_u64()) {
            (Some(message), Some(count)) => Ok(Greeting {
                message: message.to_owned(),
                count,
            }),
            _ => Err(format!("POST /greet: unexpected answer {text}")),
        }
    }

    fn greeted(&self) -> u64 {
        let mut response = self
            .agent
            .get(format!("{}/stats", self.base))
            .call()
            .expect("GET /stats");
        let text = response.body_mut().read_to_string().unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["greeted"].as_u64().unwrap_or_else(|| panic!("{text}"))
    }
}

/// Starts the copy on a free loopback port; returns it and its base URL.
fn serve(fixture: &Fixture) -> (App, String) {
    let mut app = fixture.run_with(&["--features", "hot"], &[("ADDR", "127.0.0.1:0")]);
    let (_, line) = app.wait_for("the server to listen", 0, START, |l| {
        l.starts_with("out| listening on http://127.0.0.1:")
    });
    app.wait_for_watching();
    let base = line.strip_prefix("out| listening on ").unwrap().to_owned();
    (app, base)
}

#[test]
fn an_edited_handler_answers_the_next_requests_and_none_is_lost_during_the_reload() {
    let fixture = Fixture::member("examples/axum", "axum");
    let (mut app, base) = serve(&fixture);
    let first = Client::new(&base)
        .greet("Ada")
        .unwrap_or_else(|e| app.fail(&e));
    assert_eq!(first.message, "Hello, Ada!");
    assert_eq!(first.count, 1);

    // Two clients call back to back through the edit, each on its connection, until the new
    // greeting has been seen by both (or a deadline: the loops are bounded).
    let stop = Arc::new(AtomicBool::new(false));
    let answers: Vec<Answers> = (0..2).map(|_| Arc::default()).collect();
    let clients: Vec<_> = answers
        .iter()
        .enumerate()
        .map(|(i, answers)| {
            let (stop, answers, client) =
                (Arc::clone(&stop), Arc::clone(answers), Client::new(&base));
            std::thread::spawn(move || {
                let deadline = Instant::now() + RELOAD + START;
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    let answer = client.greet(&format!("client{i}"));
                    answers.lock().unwrap().push(answer);
                }
            })
        })
        .collect();
    let answered = |app: &App, what: &str| {
        let deadline = Instant::now() + RELOAD;
        while !answers.iter().all(|a| {
            a.lock()
                .unwrap()
                .iter()
                .rev()
                .take(20)
                .filter(|g| g.as_ref().is_ok_and(|g| g.message.starts_with(what)))
                .count()
                >= 20
        }) {
            if Instant::now() > deadline {
                app.fail(&format!("both clients should get 20 answers {what:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    answered(&app, "Hello, client");

    let edit = (
        "src/lib.rs",
        r#"format!("Hello, {name}!")"#,
        r#"format!("Howdy, {name}! You are guest number {}.", name.len())"#,
    );
    fixture.edit_and_reload(&mut app, edit, 1);
    answered(&app, "Howdy, client");
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }

    // Every request was answered; each client got the old greeting, then the new one, never
    // the old one again; the count went on, one per request.
    let mut counts = vec![first.count];
    for (i, answers) in answers.iter().enumerate() {
        let answers = answers.lock().unwrap();
        let mut new = false;
        let mut last = 0;
        for answer in answers.iter() {
            let greeting = answer
                .as_ref()
                .unwrap_or_else(|e| app.fail(&format!("client {i}: {e}")));
            let expected_new = format!("Howdy, client{i}! You are guest number 7.");
            if greeting.message == expected_new {
                new = true;
            } else if new || greeting.message != format!("Hello, client{i}!") {
                app.fail(&format!("client {i} got {greeting:?} after {last}"));
            }
            assert!(
                greeting.count > last,
                "client {i}: {greeting:?} after {last}"
            );
            last = greeting.count;
            counts.push(greeting.count);
        }
    }
    counts.sort_unstable();
    let total = counts.len() as u64;
    assert_eq!(counts, (1..=total).collect::<Vec<_>>(), "one count each");
    assert_eq!(Client::new(&base).greeted(), total);
    app.assert_no_panic();
    app.show_reloads();
}
