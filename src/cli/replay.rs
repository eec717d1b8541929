//! `cutover replay FILE [--speed X] [--headless] [--to-cast OUT]`: a recorded session
//! on screen again, in the same cockpit, with its action keys disabled.

use super::Global;
use crate::journal::{self, describe, Integrity, Journal};
use crate::report::exit;
use crate::ui::record::SessionHeader;
use crate::ui::replay::{self, player::Step, Player};
use crate::ui::state::Input;
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_help = "Keys: space pause/resume · ←/→ step one input · g/G start/end · +/- speed · q quit; the cockpit's action keys are disabled.\nExit codes: 0 replayed; 2 the file is missing, not a journal, or was altered (run `cutover audit FILE`)."
)]
pub struct ReplayArgs {
    /// The journal (a .jsonl file in .cutover/sessions/)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Playback speed, from 0.5 to 64 (times the recorded pace)
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Print the timeline as text, then the final screen, instead of opening the cockpit
    #[arg(long)]
    pub headless: bool,
    /// Write the session as an asciicast v2 file (asciinema players play it)
    #[arg(long, value_name = "OUT")]
    pub to_cast: Option<PathBuf>,
}

pub async fn run(global: &Global, args: ReplayArgs) -> i32 {
    let _ = global;
    let journal = match open(&args) {
        Ok(j) => j,
        Err(code) => return code,
    };
    let (theme, note) = replay::theme_for(&journal.header);
    if let Some(note) = note {
        errln!("note: {note}");
    }
    if let Some(out) = &args.to_cast {
        return to_cast(&journal, &theme, out);
    }
    if args.headless {
        headless(&journal, &theme);
        return exit::OK;
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        super::print_error(&"the replay needs a terminal\n  hint: `cutover replay FILE --headless` prints the timeline and the final screen as text");
        return exit::CANNOT_RUN;
    }
    if !(0.5..=64.0).contains(&args.speed) {
        errln!("note: --speed {} is outside 0.5..64: clamped", args.speed);
    }
    let Journal {
        header, entries, ..
    } = journal;
    let steps = entries
        .into_iter()
        .map(|e| Step {
            t_ms: e.t_ms,
            input: e.input,
        })
        .collect();
    let now = std::time::Instant::now();
    let mut player = Player::new(&header, steps, args.speed, now);
    match replay::run(&mut player, &theme).await {
        Ok(None) => exit::OK,
        Ok(Some(_)) => exit::INTERRUPTED,
        Err(e) => {
            super::print_error(&format!("terminal: {e}"));
            exit::CANNOT_RUN
        }
    }
}

/// Reads the journal; a missing file, a file that is not a journal, one from a newer
/// cutover and an altered one are refused (exit 2); a cut-off one replays with a warning.
fn open(args: &ReplayArgs) -> Result<Journal<SessionHeader, Input>, i32> {
    let path = &args.file;
    let journal = journal::read::<SessionHeader, Input>(path).map_err(|e| {
        super::print_error(&e);
        exit::CANNOT_RUN
    })?;
    if journal.header.format > journal::FORMAT {
        super::print_error(&format!(
            "{} was written by a newer cutover (journal format {}; this one reads up to {})\n  hint: replay it with the cutover version that wrote it ({})",
            path.display(),
            journal.header.format,
            journal::FORMAT,
            journal.header.session.version
        ));
        return Err(exit::CANNOT_RUN);
    }
    match &journal.integrity {
        Integrity::Broken { line, why } => {
            super::print_error(&format!(
                "the journal was altered at line {line} ({why}): run `cutover audit {}`\n  hint: a replay of an altered journal would show what was not done; nothing was replayed",
                path.display()
            ));
            Err(exit::CANNOT_RUN)
        }
        Integrity::Unreadable { line, why } => {
            super::print_error(&format!(
                "{} cannot be read from line {line} on ({why})\n  hint: replay it with the cutover that wrote it (version {})",
                path.display(),
                journal.header.session.version
            ));
            Err(exit::CANNOT_RUN)
        }
        Integrity::Truncated { lines } => {
            errln!(
                "warning: {} was cut off after line {lines} (the session ended while writing it, e.g. a crash); replaying the {lines} complete lines",
                path.display()
            );
            Ok(journal)
        }
        Integrity::Intact { .. } => Ok(journal),
    }
}

/// The heading, the timeline, and the final screen as text.
fn headless(j: &Journal<SessionHeader, Input>, theme: &crate::ui::theme::Theme) {
    let started = chrono::DateTime::from_timestamp_millis(j.started_ms).map_or_else(
        || j.started_ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
    );
    let chain = match &j.integrity {
        Integrity::Intact { lines } => format!("intact ({lines} lines)"),
        Integrity::Truncated { lines } => {
            format!("truncated after line {lines} (cut off mid-line, not altered)")
        }
        Integrity::Broken { line, .. } => format!("altered at line {line}"),
        Integrity::Unreadable { line, .. } => format!("unreadable from line {line}"),
    };
    // One buffered writer: a million-line timeline is not a million writes. A closed
    // pipe (`| head`) stops the output, not the command.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let _ = print_all(&mut out, j, theme, &started, &chain).and_then(|_| out.flush());
}

fn print_all(
    out: &mut impl Write,
    j: &Journal<SessionHeader, Input>,
    theme: &crate::ui::theme::Theme,
    started: &str,
    chain: &str,
) -> std::io::Result<()> {
    let h = &j.header;
    writeln!(out, "replay of {}", j.path.display())?;
    writeln!(out, "  plan      {}", h.session.plan)?;
    writeln!(out, "  operator  {}", h.session.operator)?;
    writeln!(out, "  host      {}", h.session.host)?;
    writeln!(out, "  target    {}", h.session.target)?;
    writeln!(out, "  mode      {}", h.mode)?;
    writeln!(out, "  started   {started}")?;
    writeln!(out, "  inputs    {}", j.entries.len())?;
    writeln!(out, "  chain     {chain}")?;
    writeln!(out, "  version   {}", h.session.version)?;
    writeln!(out)?;
    writeln!(out, "timeline:")?;
    for line in describe::timeline(&j.entries) {
        writeln!(out, "  {line}")?;
    }
    writeln!(out)?;
    let inputs = j.entries.iter().map(|e| &e.input);
    let state = replay::final_state(h, inputs.clone());
    let (w, hgt) = replay::final_size(h, inputs);
    writeln!(out, "final screen ({w}x{hgt}):")?;
    for row in replay::rows(&replay::render(&state, theme, w, hgt)) {
        writeln!(out, "{row}")?;
    }
    Ok(())
}

/// `--to-cast OUT`: the session as an asciicast v2 file.
fn to_cast(
    j: &Journal<SessionHeader, Input>,
    theme: &crate::ui::theme::Theme,
    out: &PathBuf,
) -> i32 {
    let steps: Vec<(i64, &Input)> = j.entries.iter().map(|e| (e.t_ms, &e.input)).collect();
    let written = std::fs::File::create(out).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        crate::ui::cast::write(&mut w, &j.header, j.started_ms, &steps, theme)
    });
    match written {
        Ok(n) => {
            outln!(
                "wrote {} ({} frames, {} resizes, {}x{}): play it with `asciinema play {}`",
                out.display(),
                n.frames,
                n.resizes,
                j.header.width,
                j.header.height,
                out.display()
            );
            exit::OK
        }
        Err(e) => {
            super::print_error(&format!(
                "cannot write {}: {e}\n  hint: check the folder exists and is writable",
                out.display()
            ));
            exit::CANNOT_RUN
        }
    }
}
