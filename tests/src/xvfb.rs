//! A window on a virtual screen: a private Xvfb server (a display number it picks itself, no
//! TCP) whose screen Xvfb keeps in a file (`-fbdir`, in the XWD format), read as an image
//! without any other tool. Programs drawing with OpenGL use Mesa's software renderer there.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// What to install when Xvfb or Mesa is missing (`.ci/run` installs the same).
pub const PACKAGES: &str = "xvfb libgl1-mesa-dri libegl1 libgl1 libxkbcommon-x11-0 \
                            libxcursor1 libxrandr2 libxi6 libx11-xcb1";

/// A running Xvfb server. Dropping it ends the server.
pub struct Screen {
    child: Child,
    dir: tempfile::TempDir,
    display: String,
}

impl Screen {
    /// Starts a `width` × `height` screen, 24 bits deep. Fails, saying what to install, when
    /// Xvfb is not there.
    pub fn start(width: u32, height: u32) -> Screen {
        let dir = tempfile::Builder::new()
            .prefix("hotfn-xvfb-")
            .tempdir()
            .unwrap();
        let child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .arg("-fbdir")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = child.unwrap_or_else(|e| {
            panic!(
                "cannot run Xvfb ({e}): this test draws a window on a virtual screen; install \
                 it with `apt-get install {PACKAGES}` (.ci/run does)"
            )
        });
        // Xvfb writes its display number on the given descriptor once it accepts clients.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let number = line.trim();
        if number.is_empty() {
            let status = child.wait();
            panic!("Xvfb ended without a display ({status:?})");
        }
        Screen {
            child,
            dir,
            display: format!(":{number}"),
        }
    }

    /// The value of `DISPLAY` for programs to draw on this screen.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// What the screen shows now.
    pub fn capture(&self) -> Image {
        let bytes = std::fs::read(self.dir.path().join("Xvfb_screen0")).unwrap();
        Image::from_xwd(&bytes).unwrap_or_else(|why| panic!("Xvfb's screen file: {why}"))
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An RGB image.
pub struct Image {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Rows top to bottom, each left to right.
    pub pixels: Vec<[u8; 3]>,
}

impl Image {
    /// Reads an XWD image (X Window Dump) with 32 bits per pixel, as Xvfb keeps its screen: a
    /// header of big-endian 32-bit fields, the window name, a colour map, then the pixels, in
    /// the byte order the header gives, each channel where its mask says.
    pub fn from_xwd(bytes: &[u8]) -> Result<Image, String> {
        let field = |i: usize| -> Result<u32, String> {
            let at = bytes
                .get(i * 4..i * 4 + 4)
                .ok_or("the header is cut short")?;
            Ok(u32::from_be_bytes(at.try_into().unwrap()))
        };
        let (header_size, width, height) = (field(0)?, field(4)?, field(5)?);
        let (byte_order, bits_per_pixel, bytes_per_line) = (field(7)?, field(11)?, field(12)?);
        let masks = [field(14)?, field(15)?, field(16)?];
        let colors = field(19)?;
        if bits_per_pixel != 32 {
            return Err(format!("{bits_per_pixel} bits per pixel, not 32"));
        }
        let start = header_size as usize + colors as usize * 12;
        let (width, height, line) = (width as usize, height as usize, bytes_per_line as usize);
        let data = bytes
            .get(start..start + line * height)
            .ok_or("the pixels are cut short")?;
        let mut pixels = Vec::with_capacity(width * height);
        for row in data.chunks_exact(line) {
            for pixel in row[..width * 4].chunks_exact(4) {
                let pixel: [u8; 4] = pixel.try_into().unwrap();
                let value = match byte_order {
                    0 => u32::from_le_bytes(pixel),
                    _ => u32::from_be_bytes(pixel),
                };
                pixels.push(masks.map(|mask| ((value & mask) >> mask.trailing_zeros()) as u8));
            }
        }
        Ok(Image {
            width,
            height,
            pixels,
        })
    }

    /// How many pixels are within `tolerance` of `color` in each channel.
    pub fn count(&self, color: [u8; 3], tolerance: u8) -> usize {
        self.pixels
            .iter()
            .filter(|p| (0..3).all(|c| p[c].abs_diff(color[c]) <= tolerance))
            .count()
    }

    /// Writes the image as a binary PPM (`convert x.ppm x.png` makes a PNG of it).
    pub fn write_ppm(&self, path: &Path) {
        let mut out = format!("P6\n{} {}\n255\n", self.width, self.height).into_bytes();
        out.extend(self.pixels.iter().flatten());
        std::fs::write(path, out).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_xwd_image_is_read_with_its_masks_and_byte_order() {
        // 2 × 1 pixels, rows of 12 bytes (padded), one colour-map entry, a 4-byte name.
        let mut header = [0u32; 25];
        header[0] = 104;
        header[4] = 2;
        header[5] = 1;
        header[7] = 0; // least significant byte first
        header[11] = 32;
        header[12] = 12;
        header[14] = 0xff0000;
        header[15] = 0x00ff00;
        header[16] = 0x0000ff;
        header[19] = 1;
        let mut bytes: Vec<u8> = header.iter().flat_map(|f| f.to_be_bytes()).collect();
        bytes.extend(b"scr\0");
        bytes.extend([0; 12]);
        bytes.extend(0x00e62828u32.to_le_bytes());
        bytes.extend(0x0028c850u32.to_le_bytes());
        bytes.extend([0; 4]);
        let image = Image::from_xwd(&bytes).unwrap();
        assert_eq!((image.width, image.height), (2, 1));
        assert_eq!(image.pixels, vec![[230, 40, 40], [40, 200, 80]]);
        assert_eq!(image.count([228, 42, 40], 2), 1);
    }
}
