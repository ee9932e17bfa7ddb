//! An eframe app whose whole `eframe::App` impl is `#[hot]`: edit `update` (a label, a colour,
//! a new widget) and the next frame draws it, with the same window and the same counts.

use std::time::Duration;

use eframe::egui;
use hotfn_runtime::hot;

/// The swatch's colour: edit it while the app runs.
pub const SWATCH: egui::Color32 = egui::Color32::from_rgb(230, 40, 40);

/// The app's state: eframe's loop owns it, so it survives every reload.
#[derive(Default)]
pub struct MyApp {
    /// Frames drawn so far.
    pub frames: u64,
    /// Clicks on the button.
    pub clicks: u64,
}

#[hot]
impl eframe::App for MyApp {
    fn update(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.frames += 1;
        egui::CentralPanel::default().show(ctx, |ui| {
            ui.heading("Hello from hotfn");
            ui.label(format!("{} frames drawn", self.frames));
            if ui
                .button(format!("clicked {} times", self.clicks))
                .clicked()
            {
                self.clicks += 1;
            }
            let (swatch, _) = ui.allocate_exact_size(egui::vec2(160.0, 90.0), egui::Sense::hover());
            ui.painter().rect_filled(swatch, 0.0, SWATCH);
        });
        // One line per frame on stdout, to follow the state from a terminal (or a test).
        println!(
            "frame={} pid={} clicks={}",
            self.frames,
            std::process::id(),
            self.clicks
        );
        // Ten frames a second even when nothing happens, so the counter moves.
        ctx.request_repaint_after(Duration::from_millis(100));
    }
}
