//! End-to-end: the demo game, copied and run as a user would, headless and in a real terminal,
//! edited while it plays.

use std::time::Duration;

use hotfn_tests::{Fixture, Frame, RELOAD, START, tmux};

const NO_GRAVITY: &str = "pub const GRAVITY: f32 = 0.0;";
const GRAVITY: &str = "pub const GRAVITY: f32 = 60.0;";
/// What `GRAVITY` adds to a rock's vertical speed in one step of 1/30 s.
const PULL_PER_STEP: f64 = 60.0 / 30.0;

/// A rock in a headless state line: `id:x,y,vx,vy`.
#[derive(Debug)]
struct Rock {
    id: u64,
    vy: f64,
}

fn rocks(frame: &Frame) -> Vec<Rock> {
    frame
        .get("rocks")
        .split_whitespace()
        .map(|rock| {
            let (id, numbers) = rock.split_once(':').unwrap();
            let numbers: Vec<f64> = numbers.split(',').map(|n| n.parse().unwrap()).collect();
            Rock {
                id: id.parse().unwrap(),
                vy: numbers[3],
            }
        })
        .collect()
}

#[test]
fn headless_an_edited_rule_changes_the_game_in_play() {
    let fixture = Fixture::demo("headless");
    // 20 steps a second: the game takes 1.5 real seconds for each of its seconds, so the edit lands
    // in the middle of a game.
    let mut app = fixture.run(&[
        "--features",
        "hot",
        "--",
        "--headless",
        "--seed",
        "3",
        "--fps",
        "20",
    ]);
    app.wait_for_watching();
    app.wait_for_frame("a few frames", 0, RELOAD, |f| f.number("frame") >= 10);

    let mark = app.len();
    fixture.edit("src/rules.rs", NO_GRAVITY, GRAVITY);
    app.wait_for_reload(mark, 1);
    let (_, first) = app.wait_for_frame("a frame of the new rules", mark, RELOAD, |f| {
        f.number("v") == 1
    });
    app.wait_for_frame("more frames of the new rules", mark, RELOAD, |f| {
        f.number("frame") >= first.number("frame") + 20
    });

    if let Err(why) = one_game_whose_rocks_fall_from_the_reload_on(&app.frames()) {
        app.fail(&why);
    }
}

/// Checks the frames of the headless test: see the comments.
fn one_game_whose_rocks_fall_from_the_reload_on(frames: &[Frame]) -> Result<(), String> {
    // One game from the first step on: no restart, no step lost or repeated.
    for (i, frame) in frames.iter().enumerate() {
        if frame.number("frame") != i as u64 + 1 {
            return Err(format!(
                "step {} is not step {}: {}",
                i + 1,
                i + 1,
                frame.line
            ));
        }
    }
    // Each step runs one version: the old one until the reload, the new one after.
    let versions: Vec<u64> = frames.iter().map(|f| f.number("v")).collect();
    let switch = versions.iter().position(|v| *v == 1).unwrap_or(0);
    if switch < 10
        || versions[..switch].iter().any(|v| *v != 0)
        || versions[switch..].iter().any(|v| *v != 1)
    {
        return Err(format!(
            "the edit came after step 10; versions by step: {versions:?}"
        ));
    }
    // Rocks keep their speed without gravity, and gain PULL_PER_STEP downwards each step with it.
    let mut compared = [0, 0];
    for pair in frames.windows(2) {
        let version = pair[1].number("v") as usize;
        let pull = [0.0, PULL_PER_STEP][version];
        let before = rocks(&pair[0]);
        for rock in rocks(&pair[1]) {
            let Some(old) = before.iter().find(|r| r.id == rock.id) else {
                continue;
            };
            let gained = rock.vy - old.vy;
            if (gained - pull).abs() > 0.002 {
                return Err(format!(
                    "rock {} gained {gained} units/s in one step of v{version}, expected {pull}:\n{}\n{}",
                    rock.id, pair[0].line, pair[1].line
                ));
            }
            compared[version] += 1;
        }
    }
    if compared[0] == 0 || compared[1] == 0 {
        return Err(format!("rocks compared in v0 and v1: {compared:?}"));
    }
    // The score never went back (a new game would start from 0).
    let scores: Vec<u64> = frames.iter().map(|f| f.number("score")).collect();
    if scores.windows(2).any(|w| w[0] > w[1]) {
        return Err(format!("the score went back: {scores:?}"));
    }
    Ok(())
}

#[test]
fn headless_a_field_added_to_a_state_type_is_refused_and_the_game_goes_on() {
    let fixture = Fixture::demo("layout");
    let mut app = fixture.run(&[
        "--features",
        "hot",
        "--",
        "--headless",
        "--seed",
        "5",
        "--fps",
        "30",
    ]);
    app.wait_for_watching();
    app.wait_for_frame("a few frames", 0, RELOAD, |f| f.number("frame") >= 10);

    // `Spark` is in no signature of the rules (they reach it through `World::sparks`, a `Vec`),
    // and adding a field to it leaves `World` as large as before: only the definition check of
    // types reached through fields catches it.
    let mark = app.len();
    fixture.edit(
        "src/rules.rs",
        "max_life: 0.25,",
        "max_life: 0.25, glow: [1.0; 8],",
    );
    fixture.edit(
        "src/rules.rs",
        "            max_life: life,",
        "            max_life: life, glow: [1.0; 8],",
    );
    fixture.edit(
        "src/world.rs",
        "    pub max_life: f32,\n}",
        "    pub max_life: f32,\n    /// How bright.\n    pub glow: [f32; 8],\n}",
    );
    let (refused, _) = app.wait_for("the refusal", mark, RELOAD, |l| {
        l.contains("[hotfn] reload of") && l.contains("refused")
    });
    let (_, frame) = app.wait_for_frame("frames after the refusal", refused, RELOAD, |_| true);
    let (_, later) = app.wait_for_frame("more frames", refused, RELOAD, |f| {
        f.number("frame") >= frame.number("frame") + 30
    });
    let report = app.output()[refused..].join("\n");
    if !report.contains("type `Spark`, reached from its arguments or result, changed") {
        app.fail("the refusal should name Spark");
    }
    assert_eq!(
        later.number("v"),
        0,
        "the old code plays on: {}",
        later.line
    );
}

#[test]
fn headless_games_are_the_same_with_and_without_hot_reloading() {
    let fixture = Fixture::demo("same");
    let args = ["--headless", "--frames", "90", "--seed", "11", "--fps", "0"];
    let play = |features: &[&str]| {
        let mut all = features.to_vec();
        all.push("--");
        all.extend_from_slice(&args);
        let mut app = fixture.run(&all);
        let status = app.wait_for_exit(START);
        if !status.success() {
            app.fail(&format!("the game ended with {status}"));
        }
        let lines: Vec<String> = app
            .output()
            .iter()
            .filter_map(|l| Frame::parse(l))
            .map(|f| f.line)
            .collect();
        assert_eq!(lines.len(), 90, "{lines:#?}");
        lines
    };
    let plain = play(&[]);
    let hot = play(&["--features", "hot"]);
    assert_eq!(plain, hot, "the same seed plays the same game");
}

/// The game clock on the top line (`m:ss`), in seconds.
fn clock(screen: &str) -> u64 {
    let top = screen.lines().next().unwrap_or_default();
    top.split_whitespace()
        .find_map(|word| {
            let (minutes, seconds) = word.split_once(':')?;
            Some(minutes.parse::<u64>().ok()? * 60 + seconds.parse::<u64>().ok()?)
        })
        .unwrap_or_else(|| panic!("no clock on the top line:\n{screen}"))
}

/// The score on the top line.
fn score(screen: &str) -> u64 {
    let top = screen.lines().next().unwrap_or_default();
    let words: Vec<&str> = top.split_whitespace().collect();
    words
        .windows(2)
        .find_map(|w| (w[0] == "score").then(|| w[1].parse().ok()).flatten())
        .unwrap_or_else(|| panic!("no score on the top line:\n{screen}"))
}

/// The status line: the last line of the screen.
fn status(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}

#[test]
fn in_a_terminal_an_edit_changes_the_screen_while_the_game_goes_on() {
    if !tmux::available() {
        eprintln!(
            "SKIPPED in_a_terminal_an_edit_changes_the_screen_while_the_game_goes_on: tmux is not \
             installed (`apt-get install tmux`; .ci/run installs it)"
        );
        return;
    }
    let fixture = Fixture::demo("terminal");
    // Built first, outside the terminal, so that a build failure shows cargo's whole output.
    fixture.build(&["--features", "hot"]);
    let target = hotfn_tests::shared_target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let term = tmux::Terminal::start(
        fixture.dir(),
        100,
        30,
        &format!("'{cargo}' run --features hot"),
        &[
            ("CARGO_TARGET_DIR", target.to_str().unwrap()),
            ("RUSTFLAGS", ""),
        ],
    );
    let screen = term.wait_for("the game, with hotfn watching", START, |s| {
        s.contains(" ASTEROIDS ") && status(s).contains("watching")
    });
    assert!(status(&screen).starts_with(" hotfn v0 "), "{screen}");

    // Keys reach the game: `a` hands the ship to the autopilot (a new game would take it back).
    term.send_keys(&["a"]);
    term.wait_for("the autopilot", RELOAD, |s| s.contains("AUTOPILOT"));
    let before = term.wait_for("3 s of play", RELOAD, |s| clock(s) >= 3);

    fixture.edit(
        "src/draw.rs",
        "pub const TITLE: &str = \"ASTEROIDS\";",
        "pub const TITLE: &str = \"HOT ROCKS\";",
    );
    let after = term.wait_for("the new title", RELOAD, |s| s.contains(" HOT ROCKS "));
    assert!(!after.contains("ASTEROIDS"), "{after}");
    assert!(
        status(&after).starts_with(" hotfn v1 ") && status(&after).contains("reloaded in"),
        "the status line shows the version and the reload's timings:\n{after}"
    );
    assert!(
        after.contains("AUTOPILOT")
            && clock(&after) >= clock(&before)
            && score(&after) >= score(&before),
        "the game goes on where it was:\n{before}\n{after}"
    );
    let later = term.wait_for("the clock to go on", RELOAD, |s| {
        clock(s) >= clock(&after) + 2
    });
    assert!(later.contains(" HOT ROCKS "), "{later}");

    // A compile error is one line in the status bar; the game goes on with the code it had.
    fixture.edit(
        "src/draw.rs",
        "pub const TITLE: &str = \"HOT ROCKS\";",
        "pub const TITLE: &str = \"HOT ROCKS\" + 1;",
    );
    let broken = term.wait_for("the build error in the status line", RELOAD, |s| {
        status(s).contains("✗ src/draw.rs:")
    });
    assert!(status(&broken).contains("error[E"), "{broken}");
    let still = term.wait_for("the clock to go on after the error", RELOAD, |s| {
        clock(s) >= clock(&broken) + 2
    });
    assert!(still.contains(" HOT ROCKS "), "{still}");
    assert!(status(&still).starts_with(" hotfn v1 "), "{still}");

    term.send_keys(&["q"]);
    let how = term.wait_for_exit(Duration::from_secs(30));
    if how != "exit 0" {
        term.fail(&format!(
            "q should end the game cleanly, it ended with {how}"
        ));
    }
}
