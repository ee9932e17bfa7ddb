//! How the game looks. `draw` is `#[hot]` like the rules: edit a glyph, a colour or the top line
//! while the game runs and the next frame shows it.
//!
//! The program hands `draw` the area of the screen for the field and ratatui's buffer; the last
//! line of the screen (hotfn's status) is the program's own.

use std::f32::consts::TAU;
use std::sync::atomic::Ordering;

use hotfn_runtime::hot;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::rules::{self, BEST};
use crate::world::{Rock, TICKS_PER_SECOND, UNITS_PER_ROW, World};

/// The ship, for each eighth of a turn clockwise from pointing up. Try `['@'; 8]`.
pub const SHIP: [char; 8] = ['▲', '◥', '▶', '◢', '▼', '◣', '◀', '◤'];
/// The game's name on the top line. Try your own.
pub const TITLE: &str = "ASTEROIDS";
/// Bullets. Try `'o'`.
pub const SHOT: char = '•';
/// Shades of a rock, from its core to its edge.
pub const ROCK: [char; 3] = ['█', '▓', '▒'];

/// Draws the world into `area` of `buf`.
#[hot]
pub fn draw(world: &World, area: Rect, buf: &mut Buffer) {
    stars(world, area, buf);
    for rock in &world.rocks {
        draw_rock(rock, area, buf);
    }
    for spark in &world.sparks {
        let age = 1.0 - spark.life / spark.max_life;
        let glyph = if age < 0.5 { '*' } else { '·' };
        let color = Color::Rgb(255, (230.0 * (1.0 - age)) as u8, (60.0 * (1.0 - age)) as u8);
        put(area, buf, spark.x, spark.y, glyph, Style::new().fg(color));
    }
    for shot in &world.shots {
        put(
            area,
            buf,
            shot.x,
            shot.y,
            SHOT,
            Style::new().fg(Color::Yellow),
        );
    }
    let ship = &world.ship;
    let blink = ship.shield > 0.0 && (world.frame / 4).is_multiple_of(2);
    if ship.alive && !blink {
        let eighth = (ship.heading / TAU * 8.0).round() as usize % 8;
        let style = Style::new()
            .fg(Color::Rgb(90, 230, 255))
            .add_modifier(Modifier::BOLD);
        put(area, buf, ship.x, ship.y, SHIP[eighth], style);
    }
    top_line(world, area, buf);
    if world.over() {
        banner(area, buf, "GAME OVER · press r to play again");
    } else if world.paused {
        banner(area, buf, "PAUSED · p to go on");
    }
}

/// The colour of the smallest rocks, as red, green, blue; bigger ones are darker. Try
/// `(255, 60, 200)`.
pub const ROCK_COLOR: (u8, u8, u8) = (205, 185, 170);

/// The colour of a rock.
#[hot]
pub fn rock_color(rock: &Rock) -> Color {
    let (r, g, b) = ROCK_COLOR;
    let shade = |c: u8| (u16::from(c) * (6 - u16::from(rock.size.min(3))) / 5) as u8;
    Color::Rgb(shade(r), shade(g), shade(b))
}

/// The top line: name, score, ships left, wave, time, and the keys.
#[hot]
pub fn top_line(world: &World, area: Rect, buf: &mut Buffer) {
    let seconds = world.frame / u64::from(TICKS_PER_SECOND);
    let ships = "▲".repeat(world.lives as usize);
    let dim = Style::new().fg(Color::Gray);
    let mut spans = vec![
        Span::styled(
            format!(" {TITLE} "),
            Style::new()
                .fg(Color::Black)
                .bg(Color::Rgb(90, 230, 255))
                .add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!(" score {} ", world.score), Style::new().bold()),
        Span::styled(format!("best {} ", BEST.load(Ordering::Relaxed)), dim),
        Span::styled(format!("wave {} ", world.wave), dim),
        Span::styled(
            format!("{ships:<3} "),
            Style::new().fg(Color::Rgb(90, 230, 255)),
        ),
        Span::styled(format!("{}:{:02} ", seconds / 60, seconds % 60), dim),
    ];
    if world.autopilot {
        spans.push(Span::styled(
            " AUTOPILOT ",
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    let line = Line::from(spans);
    buf.set_line(area.x, area.y, &line, area.width);
    let keys = "←→↑ fly · space fire · a autopilot · p pause · q quit ";
    let width = keys.chars().count() as u16;
    if usize::from(area.width) > line.width() + usize::from(width) {
        buf.set_string(area.right() - width, area.y, keys, dim);
    }
}

/// Faint stars that twinkle, fixed to the screen.
fn stars(world: &World, area: Rect, buf: &mut Buffer) {
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let hash = (u32::from(x).wrapping_mul(73_856_093)
                ^ u32::from(y).wrapping_mul(19_349_663))
            .wrapping_mul(2_654_435_761);
            if hash % 97 == 0 {
                let twinkle = (world.frame / 8 + u64::from(hash >> 20)).is_multiple_of(16);
                let glyph = if twinkle { '+' } else { '·' };
                if let Some(cell) = buf.cell_mut((x, y)) {
                    cell.set_char(glyph).set_fg(Color::Rgb(70, 70, 90));
                }
            }
        }
    }
}

/// A lumpy disc, wrapped around the edges like the rock itself.
fn draw_rock(rock: &Rock, area: Rect, buf: &mut Buffer) {
    let radius = rules::radius(rock.size);
    let reach = radius.ceil() as i32 + 1;
    let (column, row) = (
        rock.x.floor() as i32,
        (rock.y / UNITS_PER_ROW).floor() as i32,
    );
    let phase = rock.id as f32;
    let style = Style::new().fg(rock_color(rock));
    for dy in -reach / 2 - 1..=reach / 2 + 1 {
        for dx in -reach..=reach {
            let (x, y) = (column + dx, row + dy);
            let cx = x as f32 + 0.5 - rock.x;
            let cy = (y as f32 + 0.5) * UNITS_PER_ROW - rock.y;
            let angle = cy.atan2(cx);
            let edge = radius
                * (1.0 + 0.15 * (3.0 * angle + phase).sin() + 0.08 * (5.0 * angle - phase).cos());
            let depth = cx.hypot(cy) / edge;
            let glyph = match depth {
                d if d < 0.55 => ROCK[0],
                d if d < 0.8 => ROCK[1],
                d if d < 1.0 => ROCK[2],
                _ => continue,
            };
            let (x, y) = (
                x.rem_euclid(i32::from(area.width.max(1))),
                y.rem_euclid(i32::from(area.height.max(1))),
            );
            if let Some(cell) = buf.cell_mut((area.x + x as u16, area.y + y as u16)) {
                cell.set_char(glyph).set_style(style);
            }
        }
    }
}

/// One character at world position `(x, y)`.
fn put(area: Rect, buf: &mut Buffer, x: f32, y: f32, glyph: char, style: Style) {
    let (column, row) = (x.floor(), (y / UNITS_PER_ROW).floor());
    if column < 0.0 || row < 0.0 || column >= f32::from(area.width) || row >= f32::from(area.height)
    {
        return;
    }
    if let Some(cell) = buf.cell_mut((area.x + column as u16, area.y + row as u16)) {
        cell.set_char(glyph).set_style(style);
    }
}

/// A message in the middle of the field.
fn banner(area: Rect, buf: &mut Buffer, text: &str) {
    let text = format!("  {text}  ");
    let width = text.chars().count() as u16;
    let x = area.x + area.width.saturating_sub(width) / 2;
    let y = area.y + area.height / 2;
    buf.set_string(
        x,
        y,
        text,
        Style::new()
            .fg(Color::Black)
            .bg(Color::Rgb(255, 200, 60))
            .add_modifier(Modifier::BOLD),
    );
}
