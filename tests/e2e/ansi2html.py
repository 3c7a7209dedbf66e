"""A terminal screen captured by `tmux capture-pane -e -p` (ANSI colours) as one HTML page, for
tests/e2e/screenshot.sh to photograph with headless Chromium."""

import html
import re
import sys

BASIC = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
         "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]


def color256(n: int) -> str:
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)


def convert(text: str) -> str:
    fg = bg = None
    bold = False
    out = []
    for part in re.split(r"(\x1b\[[0-9;]*m)", text):
        if not part.startswith("\x1b["):
            if part:
                style = []
                if fg:
                    style.append(f"color:{fg}")
                if bg:
                    style.append(f"background:{bg}")
                if bold:
                    style.append("font-weight:bold")
                out.append(f'<span style="{";".join(style)}">{html.escape(part)}</span>')
            continue
        codes = [int(c) if c else 0 for c in part[2:-1].split(";")]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                fg = bg = None
                bold = False
            elif c == 1:
                bold = True
            elif c == 22:
                bold = False
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 2 and i + 4 < len(codes):
                    value = "#%02x%02x%02x" % tuple(codes[i + 2 : i + 5])
                    i += 4
                elif codes[i + 1] == 5 and i + 2 < len(codes):
                    value = color256(codes[i + 2])
                    i += 2
                else:
                    value = None
                if c == 38:
                    fg = value
                else:
                    bg = value
            elif c == 39:
                fg = None
            elif c == 49:
                bg = None
            elif 30 <= c <= 37:
                fg = BASIC[c - 30]
            elif 40 <= c <= 47:
                bg = BASIC[c - 40]
            elif 90 <= c <= 97:
                fg = BASIC[c - 90 + 8]
            elif 100 <= c <= 107:
                bg = BASIC[c - 100 + 8]
            i += 1
    return "".join(out)


body = convert(sys.stdin.read())
print('<!doctype html><meta charset="utf-8"><style>body{margin:0;background:#1e1e1e;color:#d4d4d4}'
      'pre{margin:8px;font:15px/1.25 "DejaVu Sans Mono",monospace}</style><pre>' + body + "</pre>")
