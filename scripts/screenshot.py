#!/usr/bin/env python3
"""Renders a real cockpit session to a PNG for the README.

Drives `cutover demo` in a pseudo-terminal (the keys a person would press), reads the
screen with pyte (a terminal emulator), and paints each cell with DejaVu Sans Mono.
Needs: pip install pyte pillow; a built binary (cargo build --release).

    python3 scripts/screenshot.py target/release/cutover assets/screenshots/cockpit.png
"""
import os, pty, select, sys, tempfile, time

import pyte
from PIL import Image, ImageDraw, ImageFont

COLS, ROWS = 120, 36
binary, out = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp()
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(TERM="xterm-256color", COLORTERM="truecolor", USER="alice")
    os.execv(binary, [binary, "demo", "--dir", os.path.join(tmp, "demo")])

import fcntl, struct, termios
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
screen = pyte.Screen(COLS, ROWS)
stream = pyte.ByteStream(screen)

def pump(secs):
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                stream.feed(os.read(fd, 65536))
            except OSError:
                return

def keys(s, wait=0.6):
    os.write(fd, s.encode())
    pump(wait)

pump(2.0)
keys("A", 3.0)        # batch 1: simple replacements
keys("j", 0.3)        # select batch 2
keys("a", 1.0)        # apply its first file
keys("a", 1.0)        # and the next
keys("\t", 0.5)       # focus the files panel
screen_copy = [[screen.buffer[y][x] for x in range(COLS)] for y in range(ROWS)]
keys("q", 0.5)

PALETTE = {
    "black": (30, 30, 30), "red": (205, 49, 49), "green": (13, 188, 121), "brown": (229, 229, 16),
    "yellow": (229, 229, 16), "blue": (36, 114, 200), "magenta": (188, 63, 188), "cyan": (17, 168, 205),
    "white": (229, 229, 229), "brightblack": (102, 102, 102), "brightred": (241, 76, 76),
    "brightgreen": (35, 209, 139), "brightyellow": (245, 245, 67), "brightblue": (59, 142, 234),
    "brightmagenta": (214, 112, 214), "brightcyan": (41, 184, 219), "brightwhite": (255, 255, 255),
}
BG, FG = (24, 26, 33), (212, 212, 212)

def color(c, default):
    if c == "default":
        return default
    if c in PALETTE:
        return PALETTE[c]
    if len(c) == 6:
        try:
            return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            pass
    return default

font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 16)
bold = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", 16)
cw, ch = 10, 20
img = Image.new("RGB", (COLS * cw + 20, ROWS * ch + 20), BG)
d = ImageDraw.Draw(img)
for y, row in enumerate(screen_copy):
    for x, cell in enumerate(row):
        fg, bg = color(cell.fg, FG), color(cell.bg, BG)
        if cell.reverse:
            fg, bg = bg, fg
        px, py = 10 + x * cw, 10 + y * ch
        d.rectangle([px, py, px + cw, py + ch], fill=bg)
        if cell.data.strip():
            d.text((px, py + 1), cell.data, font=bold if cell.bold else font, fill=fg)
img.save(out)
print(f"wrote {out}")
