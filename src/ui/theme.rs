//! Colour themes from TOML with semantic names. A user theme overrides the embedded
//! default key by key; `NO_COLOR` drops every colour (meaning never rests on colour
//! alone: every status has a glyph or a word); truecolour falls back to the nearest
//! 256-colour index where the terminal does not announce truecolour.

use ratatui::style::{Color, Modifier, Style};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The themes shipped in the binary, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

const KEYS: &[&str] = &[
    "text",
    "muted",
    "title",
    "border",
    "border_focus",
    "selected_fg",
    "selected_bg",
    "ok",
    "warn",
    "error",
    "info",
    "running",
    "risk_low",
    "risk_medium",
    "risk_high",
    "key",
    "header_fg",
    "header_bg",
    "recording",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// The colour depth it was resolved for (a session header records it).
    pub depth: Depth,
    pub text: Style,
    pub muted: Style,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selected: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub info: Style,
    pub running: Style,
    pub risk_low: Style,
    pub risk_medium: Style,
    pub risk_high: Style,
    pub key: Style,
    pub header: Style,
    pub recording: Style,
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("{path}:{line}:{column}: {message}\n  hint: {hint}")]
    At {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    },
    #[error("cannot read theme {path}: {source}\n  hint: --theme takes one of {} or a path to a .toml file", names())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn names() -> String {
    BUILTIN
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    colors: BTreeMap<String, toml::Spanned<String>>,
}

/// How many colours the terminal shows, read once at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Depth {
    None,
    /// The 16 named ANSI colours only (TERM without `256color`).
    Ansi16,
    Ansi256,
    TrueColor,
}

impl Depth {
    pub fn detect() -> Depth {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Depth::None;
        }
        let ct = std::env::var("COLORTERM")
            .unwrap_or_default()
            .to_lowercase();
        let term = std::env::var("TERM").unwrap_or_default();
        if ct.contains("truecolor") || ct.contains("24bit") {
            Depth::TrueColor
        } else if term.contains("256") {
            Depth::Ansi256
        } else {
            Depth::Ansi16
        }
    }
}

impl Theme {
    /// `--theme NAME|PATH` (or the plan's `theme`), else the default dark theme.
    /// Relative paths start at `base`.
    pub fn load(choice: Option<&str>, base: &Path, depth: Depth) -> Result<Theme, ThemeError> {
        let default = BUILTIN[0].1;
        let mut colors = parse(default, Path::new("<built-in dark>"))?;
        let mut name = "dark".to_string();
        if let Some(choice) = choice {
            let (text, path) = match BUILTIN.iter().find(|(n, _)| *n == choice) {
                Some((_, text)) => (
                    text.to_string(),
                    PathBuf::from(format!("<built-in {choice}>")),
                ),
                None => {
                    let path = base.join(choice);
                    let text = std::fs::read_to_string(&path).map_err(|source| {
                        ThemeError::Unreadable {
                            path: path.clone(),
                            source,
                        }
                    })?;
                    (text, path)
                }
            };
            let (n, overrides) = parse_named(&text, &path)?;
            name = n.unwrap_or_else(|| choice.to_string());
            colors.extend(overrides);
        }
        Ok(Theme::from_colors(name, &colors, depth))
    }

    /// No colour at all: what `NO_COLOR` gets, and what terminal tests run with.
    pub fn monochrome() -> Theme {
        Theme::from_colors("monochrome".into(), &BTreeMap::new(), Depth::None)
    }

    fn from_colors(name: String, c: &BTreeMap<String, Color>, depth: Depth) -> Theme {
        let color = |k: &str| -> Option<Color> {
            match depth {
                Depth::None => None,
                Depth::TrueColor => c.get(k).copied(),
                Depth::Ansi256 => c.get(k).copied().map(to_256),
                Depth::Ansi16 => c.get(k).copied().map(to_16),
            }
        };
        let fg = |k: &str| color(k).map_or(Style::default(), |c| Style::default().fg(c));
        let selected = match (color("selected_fg"), color("selected_bg")) {
            (Some(f), Some(b)) => Style::default().fg(f).bg(b).add_modifier(Modifier::BOLD),
            _ => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        };
        let header = match (color("header_fg"), color("header_bg")) {
            (Some(f), Some(b)) => Style::default().fg(f).bg(b),
            _ => Style::default().add_modifier(Modifier::REVERSED),
        };
        Theme {
            name,
            depth,
            text: fg("text"),
            muted: fg("muted").add_modifier(if depth == Depth::None {
                Modifier::DIM
            } else {
                Modifier::empty()
            }),
            title: fg("title").add_modifier(Modifier::BOLD),
            border: fg("border"),
            border_focus: fg("border_focus").add_modifier(Modifier::BOLD),
            selected,
            ok: fg("ok"),
            warn: fg("warn"),
            error: fg("error").add_modifier(Modifier::BOLD),
            info: fg("info"),
            running: fg("running").add_modifier(Modifier::BOLD),
            risk_low: fg("risk_low"),
            risk_medium: fg("risk_medium"),
            risk_high: fg("risk_high").add_modifier(Modifier::BOLD),
            key: fg("key").add_modifier(Modifier::BOLD),
            header,
            recording: fg("recording").add_modifier(Modifier::BOLD),
        }
    }
}

fn parse(text: &str, path: &Path) -> Result<BTreeMap<String, Color>, ThemeError> {
    parse_named(text, path).map(|(_, c)| c)
}

fn parse_named(
    text: &str,
    path: &Path,
) -> Result<(Option<String>, BTreeMap<String, Color>), ThemeError> {
    let at = |span: std::ops::Range<usize>, message: String, hint: String| {
        let (line, column) = crate::plan::line_col(text, span.start);
        ThemeError::At {
            path: path.to_path_buf(),
            line,
            column,
            message,
            hint,
        }
    };
    let file: File = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        at(
            span,
            e.message().to_string(),
            "a theme has `name = \"...\"` and a [colors] table".into(),
        )
    })?;
    let mut out = BTreeMap::new();
    for (key, value) in file.colors {
        if !KEYS.contains(&key.as_str()) {
            // The key's own span is not kept by the map; point at its value.
            return Err(at(
                value.span(),
                format!("unknown colour `{key}`"),
                format!("the colours are: {}", KEYS.join(", ")),
            ));
        }
        let c = Color::from_str(value.get_ref()).map_err(|_| {
            at(
                value.span(),
                format!("`{}` is not a colour", value.get_ref()),
                "use an ANSI name (red, lightred, darkgray, reset, ...), \"#rrggbb\" or a number 0-255".into(),
            )
        })?;
        out.insert(key, c);
    }
    Ok((file.name, out))
}

/// The nearest of the 16 named ANSI colours for a truecolour or indexed value.
fn to_16(c: Color) -> Color {
    const NAMED: [(Color, (u8, u8, u8)); 16] = [
        (Color::Black, (0, 0, 0)),
        (Color::Red, (205, 0, 0)),
        (Color::Green, (0, 205, 0)),
        (Color::Yellow, (205, 205, 0)),
        (Color::Blue, (0, 0, 238)),
        (Color::Magenta, (205, 0, 205)),
        (Color::Cyan, (0, 205, 205)),
        (Color::Gray, (229, 229, 229)),
        (Color::DarkGray, (127, 127, 127)),
        (Color::LightRed, (255, 0, 0)),
        (Color::LightGreen, (0, 255, 0)),
        (Color::LightYellow, (255, 255, 0)),
        (Color::LightBlue, (92, 92, 255)),
        (Color::LightMagenta, (255, 0, 255)),
        (Color::LightCyan, (0, 255, 255)),
        (Color::White, (255, 255, 255)),
    ];
    let (r, g, b) = match c {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) if i >= 16 => match to_rgb(i) {
            Some(rgb) => rgb,
            None => return c,
        },
        _ => return c,
    };
    let d = |(x, y, z): (u8, u8, u8)| {
        let s = |a: u8, b: u8| (a as i32 - b as i32).pow(2);
        s(x, r) + s(y, g) + s(z, b)
    };
    NAMED
        .iter()
        .min_by_key(|(_, rgb)| d(*rgb))
        .map_or(c, |(n, _)| *n)
}

/// The RGB value of an xterm 256-colour index above 15.
fn to_rgb(i: u8) -> Option<(u8, u8, u8)> {
    let steps = [0u8, 95, 135, 175, 215, 255];
    match i {
        16..=231 => {
            let i = i - 16;
            Some((
                steps[(i / 36) as usize],
                steps[(i / 6 % 6) as usize],
                steps[(i % 6) as usize],
            ))
        }
        232..=255 => {
            let v = 8 + 10 * (i - 232);
            Some((v, v, v))
        }
        _ => None,
    }
}

/// The nearest xterm 256-colour index for a truecolour value; other colours pass.
fn to_256(c: Color) -> Color {
    let Color::Rgb(r, g, b) = c else { return c };
    let level = |v: u8| -> u8 {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    let (lr, lg, lb) = (level(r), level(g), level(b));
    let cube = 16 + 36 * lr + 6 * lg + lb;
    let steps = [0u8, 95, 135, 175, 215, 255];
    let cube_rgb = (steps[lr as usize], steps[lg as usize], steps[lb as usize]);
    let avg = ((r as u16 + g as u16 + b as u16) / 3) as u8;
    let gray_i = if avg > 238 {
        23
    } else {
        avg.saturating_sub(3) / 10
    };
    let gray_v = 8 + 10 * gray_i;
    let dist = |(x, y, z): (u8, u8, u8)| {
        let d = |a: u8, b: u8| (a as i32 - b as i32).pow(2);
        d(x, r) + d(y, g) + d(z, b)
    };
    if dist((gray_v, gray_v, gray_v)) < dist(cube_rgb) {
        Color::Indexed(232 + gray_i)
    } else {
        Color::Indexed(cube)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses_and_names_every_colour() {
        for (name, text) in BUILTIN {
            let colors = parse(text, Path::new(name)).expect("built-in theme parses");
            for k in KEYS {
                assert!(colors.contains_key(*k), "{name} lacks {k}");
            }
        }
    }

    #[test]
    fn user_theme_overrides_the_default_key_by_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("mine.toml"),
            "[colors]\nerror = \"#ff00ff\"\n",
        )
        .expect("write");
        let t = Theme::load(Some("mine.toml"), dir.path(), Depth::TrueColor).expect("loads");
        assert_eq!(t.error.fg, Some(Color::Rgb(255, 0, 255)));
        assert_eq!(t.ok.fg, Some(Color::Green), "unset keys keep the default");
    }

    #[test]
    fn malformed_theme_names_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("bad.toml"),
            "name = \"x\"\n[colors]\nok = \"greenish\"\n",
        )
        .expect("write");
        let e = Theme::load(Some("bad.toml"), dir.path(), Depth::TrueColor).expect_err("rejects");
        let msg = e.to_string();
        assert!(
            msg.contains("bad.toml:3:6") && msg.contains("greenish"),
            "{msg}"
        );
        std::fs::write(dir.path().join("typo.toml"), "[colors]\nerorr = \"red\"\n").expect("write");
        let msg = Theme::load(Some("typo.toml"), dir.path(), Depth::TrueColor)
            .expect_err("rejects")
            .to_string();
        assert!(
            msg.contains("typo.toml:2:") && msg.contains("erorr"),
            "{msg}"
        );
        std::fs::write(dir.path().join("syntax.toml"), "[colors\n").expect("write");
        let msg = Theme::load(Some("syntax.toml"), dir.path(), Depth::TrueColor)
            .expect_err("rejects")
            .to_string();
        assert!(msg.contains("syntax.toml:1:"), "{msg}");
    }

    #[test]
    fn no_color_keeps_selection_visible_without_colour() {
        let t = Theme::monochrome();
        assert_eq!(t.error.fg, None);
        assert!(t.selected.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn sixteen_colour_terminals_get_named_colours_only() {
        assert_eq!(to_16(Color::Rgb(0x8a, 0x6d, 0x00)), Color::Yellow);
        assert_eq!(to_16(Color::Rgb(0xd0, 0xd7, 0xe1)), Color::Gray);
        assert_eq!(to_16(Color::Indexed(196)), Color::LightRed);
        assert_eq!(to_16(Color::Cyan), Color::Cyan);
        for (name, _) in BUILTIN {
            let t = Theme::load(Some(name), Path::new("."), Depth::Ansi16).expect("theme");
            for st in [t.text, t.warn, t.header, t.selected, t.risk_medium] {
                for c in [st.fg, st.bg].into_iter().flatten() {
                    assert!(
                        !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                        "{name}: {c:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn truecolour_maps_to_the_nearest_256_index() {
        assert_eq!(to_256(Color::Rgb(255, 0, 0)), Color::Indexed(196));
        assert_eq!(to_256(Color::Rgb(128, 128, 128)), Color::Indexed(244));
        assert_eq!(to_256(Color::Red), Color::Red);
    }
}
