//! A headless Bevy app whose systems are `#[hot]`: edit one while the app runs and the next frame
//! runs the new system, with the same world (entities, components, resources).
//!
//! Every few frames a ball is spawned at 0; each frame every ball rolls `SPEED` further and every
//! ball's heat goes up by one (on the compute task pool), and the app prints one line of state.

use bevy_app::{App, Update};
use bevy_ecs::prelude::*;
use bevy_time::Time;
use hotfn_runtime::hot;

/// How far a ball rolls in a frame: edit it while the app runs.
pub const SPEED: u64 = 1;

/// A ball every this many frames.
pub const SPAWN_EVERY: u64 = 10;

/// A ball, at `x` on its track.
#[derive(Component)]
pub struct Ball {
    /// How far it rolled.
    pub x: u64,
}

/// How hot a ball is: one more each frame it lived.
#[derive(Component)]
pub struct Heat(pub u64);

/// What the app counts across frames: a resource, so it survives every reload.
#[derive(Resource, Default)]
pub struct Tally {
    /// Frames run so far.
    pub frame: u64,
    /// Balls spawned so far.
    pub spawned: u64,
}

/// The systems, in the order they run each frame.
pub fn plugin(app: &mut App) {
    app.init_resource::<Tally>().add_systems(
        Update,
        (count_frame, spawn_balls, roll, heat_up, report).chain(),
    );
}

/// One more frame.
fn count_frame(mut tally: ResMut<Tally>) {
    tally.frame += 1;
}

/// Spawns a ball every `SPAWN_EVERY` frames, with `Commands`.
#[hot]
pub fn spawn_balls(mut commands: Commands, mut tally: ResMut<Tally>) {
    if tally.frame % SPAWN_EVERY == 1 {
        commands.spawn((Ball { x: 0 }, Heat(0)));
        tally.spawned += 1;
    }
}

/// Rolls every ball: a query that mutates.
#[hot]
pub fn roll(mut balls: Query<&mut Ball>) {
    for mut ball in &mut balls {
        ball.x += SPEED;
    }
}

/// Heats every ball, in parallel on the compute task pool.
#[hot]
pub fn heat_up(mut heats: Query<&mut Heat>) {
    heats.par_iter_mut().for_each(|mut heat| heat.0 += 1);
}

/// Prints the frame's state: `frame=N pid=P balls=B spawned=S lead=X distance=D heat=H secs=T`,
/// where `lead` is how far the first ball rolled and `distance` how far all of them did.
#[hot]
pub fn report(tally: Res<Tally>, time: Res<Time>, balls: Query<(&Ball, &Heat)>) {
    let lead = balls.iter().map(|(ball, _)| ball.x).max().unwrap_or(0);
    let distance: u64 = balls.iter().map(|(ball, _)| ball.x).sum();
    let heat: u64 = balls.iter().map(|(_, heat)| heat.0).sum();
    println!(
        "frame={} pid={} balls={} spawned={} lead={lead} distance={distance} heat={heat} secs={:.2}",
        tally.frame,
        std::process::id(),
        balls.iter().count(),
        tally.spawned,
        time.elapsed_secs(),
    );
}
