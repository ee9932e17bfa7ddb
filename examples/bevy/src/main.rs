//! Runs the app headless at 20 frames a second, with what Bevy's `MinimalPlugins` would add
//! (task pools, time, a fixed-rate runner), until Ctrl-C.

use std::time::Duration;

use bevy_app::{App, ScheduleRunnerPlugin, TaskPoolPlugin};
use bevy_time::TimePlugin;

fn main() {
    App::new()
        .add_plugins((
            TaskPoolPlugin::default(),
            TimePlugin,
            ScheduleRunnerPlugin::run_loop(Duration::from_millis(50)),
        ))
        .add_plugins(hotfn_example_bevy::plugin)
        .run();
}
