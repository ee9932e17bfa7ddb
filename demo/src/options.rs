//! The binary's command line: `demo [--headless] [--frames N] [--seed S] [--fps F] [--timings]`.

use demo::world::TICKS_PER_SECOND;

const USAGE: &str = "usage: demo [--headless] [--frames N] [--seed S] [--fps F] [--timings]";

/// What the command line asks for.
pub struct Options {
    /// Play with the autopilot, printing lines of state instead of drawing.
    pub headless: bool,
    /// Stop after this many steps (headless).
    pub frames: Option<u64>,
    /// The game to play.
    pub seed: u64,
    /// Steps per second (headless; 0: as fast as possible).
    pub fps: f64,
    /// Print a line of timings per reload (headless).
    pub timings: bool,
}

impl Options {
    /// The options of this process's arguments, or what to tell the user.
    pub fn from_args() -> Result<Options, String> {
        Options::parse(std::env::args().skip(1))
    }

    fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut options = Options {
            headless: false,
            frames: None,
            seed: 7,
            fps: f64::from(TICKS_PER_SECOND),
            timings: false,
        };
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--headless" => options.headless = true,
                "--frames" => options.frames = Some(number(&arg, &value(&arg)?)?),
                "--seed" => options.seed = number(&arg, &value(&arg)?)?,
                "--fps" => {
                    options.fps = number(&arg, &value(&arg)?)?;
                    if !options.fps.is_finite() || options.fps < 0.0 {
                        return Err("--fps needs a number of steps per second, or 0".into());
                    }
                }
                "--timings" => options.timings = true,
                "--help" | "-h" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        Ok(options)
    }
}

/// `value` as the number `name` needs.
fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{name} needs a number, not {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        Options::parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn arguments_and_their_mistakes() {
        let options = parse(&["--headless", "--frames", "5", "--seed", "3", "--fps", "0"]).unwrap();
        assert!(options.headless && !options.timings);
        assert_eq!(
            (options.frames, options.seed, options.fps),
            (Some(5), 3, 0.0)
        );
        let defaults = parse(&[]).unwrap();
        assert_eq!((defaults.frames, defaults.seed), (None, 7));
        for (args, error) in [
            (&["--frames"][..], "--frames needs a value"),
            (&["--seed", "x"], "--seed needs a number, not \"x\""),
            (
                &["--fps", "-1"],
                "--fps needs a number of steps per second, or 0",
            ),
            (&["--fast"], "unknown argument \"--fast\""),
            (&["-h"], "usage: demo"),
        ] {
            let message = parse(args).err().unwrap();
            assert!(message.starts_with(error), "{args:?}: {message}");
        }
    }
}
