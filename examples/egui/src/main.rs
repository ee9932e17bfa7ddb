//! Opens the app's window (X11, OpenGL).

fn main() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default().with_inner_size([320.0, 240.0]),
        ..Default::default()
    };
    eframe::run_native(
        "hotfn + egui",
        options,
        Box::new(|_| Ok(Box::<hotfn_example_egui::MyApp>::default())),
    )
}
