//! End-to-end: the egui example (`examples/egui`), copied and run as a user would, in a window
//! on a virtual screen (Xvfb, Mesa's software OpenGL). Its hot `eframe::App::update` is edited
//! to paint the swatch another colour: the screen shows the new colour, in the same window of
//! the same process, whose frame count goes on.
//!
//! Needs Xvfb and Mesa (`.ci/run` installs them); fails, saying what to install, without them.

use std::time::{Duration, Instant};

use hotfn_tests::xvfb::{Image, Screen};
use hotfn_tests::{App, Fixture, RELOAD, START};

const RED: [u8; 3] = [230, 40, 40];
const GREEN: [u8; 3] = [40, 200, 80];
/// Channels may be off by a little after blending.
const TOLERANCE: u8 = 6;
/// The swatch is 160 × 90 points, at one pixel a point; most of it is enough.
const SWATCH: usize = 160 * 90 * 3 / 4;

/// Waits until the screen shows `what`, and returns that screen. On failure the last screen is
/// kept as a PPM file, whose path the failure gives.
fn wait_for_screen(
    app: &App,
    screen: &Screen,
    what: &str,
    within: Duration,
    shows: impl Fn(&Image) -> bool,
) -> Image {
    let deadline = Instant::now() + within;
    loop {
        let image = screen.capture();
        if shows(&image) {
            return image;
        }
        if Instant::now() > deadline {
            let path = std::env::temp_dir().join(format!("hotfn-egui-{}.ppm", std::process::id()));
            image.write_ppm(&path);
            app.fail(&format!(
                "the screen never showed {what}; the last one is in {} (red pixels: {}, green: {})",
                path.display(),
                image.count(RED, TOLERANCE),
                image.count(GREEN, TOLERANCE),
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_edited_update_paints_the_window_anew_and_the_app_keeps_its_state() {
    let screen = Screen::start(640, 480);
    let fixture = Fixture::member("examples/egui", "egui");
    let mut app = fixture.run_with(
        &["--features", "hot"],
        &[
            ("DISPLAY", screen.display()),
            ("LIBGL_ALWAYS_SOFTWARE", "1"),
            ("WINIT_X11_SCALE_FACTOR", "1"),
        ],
    );
    app.wait_for_frame("the first frame", 0, START, |_| true);
    app.wait_for_watching();
    wait_for_screen(&app, &screen, "the red swatch", RELOAD, |image| {
        image.count(RED, TOLERANCE) >= SWATCH
    });
    let (_, before) = app.wait_for_frame("a few frames", 0, RELOAD, |f| f.number("frame") >= 5);

    let reloaded = fixture.edit_and_reload(
        &mut app,
        (
            "src/lib.rs",
            "Color32::from_rgb(230, 40, 40)",
            "Color32::from_rgb(40, 200, 80)",
        ),
        1,
    );
    wait_for_screen(
        &app,
        &screen,
        "the green swatch, and no red",
        RELOAD,
        |image| image.count(GREEN, TOLERANCE) >= SWATCH && image.count(RED, TOLERANCE) == 0,
    );
    let later = app.wait_for_frames("frames after the reload", reloaded, 5);
    // The same app drew every frame: the count went on through the reload, never from 1 again.
    let frames = app.frames();
    for pair in frames.windows(2) {
        if pair[1].number("frame") != pair[0].number("frame") + 1
            || pair[1].get("pid") != pair[0].get("pid")
        {
            app.fail(&format!(
                "not the next frame of the same app:\n{}\n{}",
                pair[0].line, pair[1].line
            ));
        }
    }
    assert!(later.number("frame") > before.number("frame") + 5);
    assert_eq!(later.get("pid"), before.get("pid"));
    app.assert_no_panic();
    app.show_reloads();
}
