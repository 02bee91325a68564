"""Runs a command on a pseudo-terminal, as a person at a terminal would, for the CLI's prompt tests.

Usage: python3 pty-run.py <steps-json> <command> [args...]
steps-json: [{"expect": "<regex>", "send": "<text>"}, ...]: wait until the screen text (ANSI escapes
removed) matches `expect` since the previous step, then type `send`. Prints one JSON object on
stdout: {"code": <exit code>, "output": <everything the command wrote to the terminal>, "timedOut": bool}.
Only the standard library: runs wherever the emulator's Python runs, CI included (no real terminal needed).
"""
import json
import os
import pty
import re
import select
import signal
import sys
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
TIMEOUT_S = float(os.environ.get("PTY_TIMEOUT_S", "60"))


def main() -> None:
    steps = json.loads(sys.argv[1])
    argv = sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    # A terminal 120 columns wide, so spinners and prompts render as on a real one.
    try:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    except OSError:
        pass
    raw = b""
    seen_from = 0
    deadline = time.time() + TIMEOUT_S
    timed_out = False
    step = 0
    while True:
        if time.time() > deadline:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            raw += chunk
        if step < len(steps):
            text = ANSI.sub("", raw.decode("utf-8", "replace"))
            match = re.search(steps[step]["expect"], text[seen_from:])
            if match:
                seen_from += match.end()
                time.sleep(0.2)  # let the prompt finish drawing before typing
                os.write(fd, steps[step]["send"].encode())
                step += 1
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    print(json.dumps({"code": code, "output": ANSI.sub("", raw.decode("utf-8", "replace")), "timedOut": timed_out, "stepsDone": step}))


main()
