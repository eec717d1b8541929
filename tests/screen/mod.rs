//! The real `cutover` binary in a pseudo-terminal: keys sent, the screen read back
//! through a terminal emulator (vt100), waits with deadlines rather than sleeps.
#![allow(dead_code)]

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Screen {
    pub parser: Arc<Mutex<vt100::Parser>>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    pub master: Box<dyn MasterPty + Send>,
    /// Every byte the program printed, in order (to rebuild a screen at any point).
    pub raw: Arc<Mutex<Vec<u8>>>,
}

impl Screen {
    pub fn spawn(args: &[&str], cwd: &std::path::Path, cols: u16, rows: u16) -> Screen {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_cutover"));
        cmd.args(args);
        cmd.cwd(cwd);
        cmd.env("NO_COLOR", "1");
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("CUTOVER_PLAN");
        let child = pty.slave.spawn_command(cmd).expect("spawn in pty");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let p = parser.clone();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let log = raw.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                log.lock().expect("raw log").extend_from_slice(&buf[..n]);
                p.lock().expect("parser").process(&buf[..n]);
            }
        });
        Screen {
            parser,
            writer,
            child,
            master: pty.master,
            raw,
        }
    }

    /// What the full-screen program last showed before it left the alternate screen
    /// (its last frame, from the raw output up to the last `ESC [?1049l`), one line per
    /// row, trailing spaces trimmed.
    pub fn last_frame(&self, cols: u16, rows: u16) -> Vec<String> {
        let raw = self.raw.lock().expect("raw log").clone();
        let leave = b"\x1b[?1049l";
        let end = raw
            .windows(leave.len())
            .rposition(|w| w == leave)
            .expect("the program left the alternate screen");
        let mut p = vt100::Parser::new(rows, cols, 0);
        p.process(&raw[..end]);
        p.screen()
            .rows(0, cols)
            .map(|r| r.trim_end().to_string())
            .collect()
    }

    pub fn text(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    /// `cutover demo` in `<tmp>/demo`; returns the screen and the demo folder.
    pub fn demo(tmp: &std::path::Path, cols: u16, rows: u16) -> (Screen, std::path::PathBuf) {
        let dir = tmp.join("demo");
        let s = Screen::spawn(
            &["demo", "--dir", dir.to_str().expect("utf8")],
            tmp,
            cols,
            rows,
        );
        (s, dir)
    }

    /// A recorded cockpit session on the demo at 120x40 (the header shows `● rec`):
    /// batch 1 applied, its rollback asked, a wrong name typed (nothing done), the right
    /// one, the rollback finished, quit. Returns the demo folder.
    pub fn demo_rolled_back_after_a_wrong_word(tmp: &std::path::Path) -> std::path::PathBuf {
        let (mut s, dir) = Screen::demo(tmp, 120, 40);
        s.wait_for("● rec", 30);
        s.wait_for("simple-replacements", 30);
        s.send("A");
        s.wait_for("apply finished", 60);
        s.send("R");
        s.wait_for("Type simple-replacements and press Enter", 30);
        s.send("wrong\r");
        s.wait_for("nothing done", 10);
        s.send("simple-replacements\r");
        s.wait_for("rollback of batch 1 simple-replacements finished", 120);
        s.send("q");
        assert_eq!(s.wait_exit(20), 0);
        dir
    }

    /// Waits until the screen shows `needle`, or fails with what it shows.
    pub fn wait_for(&self, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let t = self.text();
            if t.contains(needle) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "screen never showed {needle:?}; it shows:\n{t}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits until the screen no longer shows `needle`.
    pub fn wait_gone(&self, needle: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "screen still shows {needle:?}:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("send keys");
        self.writer.flush().expect("flush");
    }

    /// Resizes the terminal as a window manager would (the program gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser
            .lock()
            .expect("parser")
            .screen_mut()
            .set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
    }

    pub fn wait_exit(&mut self, secs: u64) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.exit_code();
            }
            assert!(
                Instant::now() < deadline,
                "cutover did not exit; screen:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}
