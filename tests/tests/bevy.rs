//! End-to-end: the Bevy example (`examples/bevy`), copied and run headless as a user would, its
//! systems edited while it runs. The world goes on under the new rules: the same process, frame
//! after frame, the same balls, and resources (the app's tally, Bevy's `Time`) kept.

use hotfn_tests::{Fixture, Frame, RELOAD};

/// How much `key` grew from one frame to the next.
fn step(pair: &[Frame], key: &str) -> u64 {
    pair[1].number(key) - pair[0].number(key)
}

/// Checks that the frames are one run of the app, in which the lead ball's step (`SPEED`) and
/// each ball's heating per frame changed from the old rules to the new ones once each, in that
/// order (`speeds`, `heats`: before and after).
fn one_run_under_new_rules(
    frames: &[Frame],
    speeds: (u64, u64),
    heats: (u64, u64),
) -> Result<(), String> {
    let fail =
        |why: &str, pair: &[Frame]| Err(format!("{why}:\n{}\n{}", pair[0].line, pair[1].line));
    let (mut speed, mut heat) = (speeds.0, heats.0);
    if frames.first().map(|f| f.number("frame")) != Some(1) {
        return Err("the first frame is not frame 1".into());
    }
    for pair in frames.windows(2) {
        let balls = pair[1].number("balls");
        if step(pair, "frame") != 1 || pair[0].get("pid") != pair[1].get("pid") {
            return fail("not the next frame of the same process", pair);
        }
        // One ball every 10 frames, from frame 1: `Commands` spawned it and the tally counts it.
        let spawned = pair[1].number("frame").div_ceil(10);
        if balls != spawned || pair[1].number("spawned") != spawned {
            return fail(&format!("{spawned} balls expected"), pair);
        }
        let secs = |frame: &Frame| frame.get("secs").parse::<f64>().unwrap();
        if secs(&pair[1]) < secs(&pair[0]) {
            return fail("Bevy's clock went back", pair);
        }
        match step(pair, "lead") {
            s if s == speed => {}
            s if s == speeds.1 && speed == speeds.0 => speed = s,
            s => return fail(&format!("the lead ball rolled {s}, not {speed}"), pair),
        }
        if step(pair, "distance") != speed * balls {
            return fail(&format!("every ball should roll {speed}"), pair);
        }
        match step(pair, "heat") {
            h if h == heat * balls => {}
            h if h == heats.1 * balls && heat == heats.0 && speed == speeds.1 => heat = heats.1,
            h => {
                return fail(
                    &format!("{balls} balls heated by {h}, not {heat} each"),
                    pair,
                );
            }
        }
    }
    if (speed, heat) != (speeds.1, heats.1) {
        return Err(format!(
            "the new rules never ran: speed {speed}, heat {heat}"
        ));
    }
    Ok(())
}

#[test]
fn edited_systems_run_the_same_world_under_new_rules() {
    let fixture = Fixture::member("examples/bevy", "bevy");
    // As Bevy recommends (and the example's README says), dependencies at opt-level 3; the
    // example's own crate stays at the dev profile's 0.
    let manifest = std::fs::read_to_string(fixture.path("Cargo.toml")).unwrap();
    std::fs::write(
        fixture.path("Cargo.toml"),
        format!("{manifest}\n[profile.dev.package.\"*\"]\nopt-level = 3\n"),
    )
    .unwrap();
    let mut app = fixture.start_hot();
    app.wait_for_frame("three balls", 0, RELOAD, |f| f.number("balls") >= 3);

    // Each edit is saved while the app runs, and the app runs on for `frames` frames after its
    // reload.
    let mut edit = |from: &str, to: &str, version: u32, frames: u64| {
        let reloaded = fixture.edit_and_reload(&mut app, ("src/lib.rs", from, to), version);
        app.wait_for_frames(&format!("{frames} frames of v{version}"), reloaded, frames);
    };
    // A query that mutates: balls roll five times as fast, from where they are.
    edit(
        "pub const SPEED: u64 = 1;",
        "pub const SPEED: u64 = 5;",
        1,
        10,
    );
    // A parallel query on the compute task pool: balls heat twice as fast.
    edit("heat.0 += 1)", "heat.0 += 2)", 2, 15);

    if let Err(why) = one_run_under_new_rules(&app.frames(), (1, 5), (1, 2)) {
        app.fail(&why);
    }
    app.assert_no_panic();
    app.show_reloads();
}
