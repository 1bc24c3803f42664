"""A UHFReader18 reader on a pty, speaking frames built by uhfreader18's frame builders.

Prints `PTY <path>`; the driver opens that path as its serial port. Answer mode answers
Get Reader Information, Set Power, Set Scan Time and Inventory (split into frames of four
tags, status 03 on all but the last). `--active` pushes one 0xEE frame per tag and a
heartbeat between rounds instead. `--noise N` precedes every Nth answer with garbage and a
frame with a broken CRC, as a noisy RS-485 line does.
"""

import argparse
import os
import random
import select
import time
import tty

from uhfreader18 import build_heartbeat, build_response_frame
from uhfreader18.checksum import crc16

ap = argparse.ArgumentParser()
ap.add_argument("--tags", type=int, default=6)
ap.add_argument("--active", action="store_true")
ap.add_argument("--noise", type=int, default=0)
args = ap.parse_args()

EPCS = [bytes.fromhex("E2801105200074%010X" % (0xA000 + i)) for i in range(args.tags)]
ADR = 0x00
master, slave = os.openpty()
tty.setraw(slave)
print("PTY", os.ttyname(slave), flush=True)
rng = random.Random(18)
answers = 0
power, scan_time = 30, 10


def send(frames):
    global answers
    answers += 1
    if args.noise and answers % args.noise == 0:
        broken = bytearray(frames[0])
        broken[-1] ^= 0x5A
        os.write(master, bytes([0x00, 0x01, 0x02]) + bytes(broken))
    for f in frames:
        os.write(master, f)


def answer(cmd, data):
    global power, scan_time
    if cmd == 0x21:
        send([build_response_frame(ADR, 0x21, 0x00, bytes([3, 30, 0x09, 0x03, 0x4E, 0x00, power, scan_time]))])
    elif cmd == 0x2F:
        power = data[0]
        send([build_response_frame(ADR, 0x2F, 0x00)])
    elif cmd == 0x25:
        scan_time = data[0]
        send([build_response_frame(ADR, 0x25, 0x00)])
    elif cmd == 0x01:
        seen = [e for e in EPCS if rng.random() < 0.9]
        if not seen:
            send([build_response_frame(ADR, 0x01, 0xFB)])
            return
        chunks = [seen[i:i + 4] for i in range(0, len(seen), 4)]
        frames = []
        for n, chunk in enumerate(chunks):
            status = 0x03 if n + 1 < len(chunks) else 0x01
            body = bytes([len(chunk)]) + b"".join(bytes([len(e)]) + e for e in chunk)
            frames.append(build_response_frame(ADR, 0x01, status, body))
        send(frames)
    else:
        send([build_response_frame(ADR, cmd, 0xFE)])


def serve_answer_mode():
    buf = b""
    while True:
        try:
            r, _, _ = select.select([master], [], [], 1.0)
            if r:
                buf += os.read(master, 512)
        except OSError:
            time.sleep(0.05)  # no one has the pty open yet
            continue
        while buf:
            n = buf[0] + 1
            if buf[0] < 4:
                buf = buf[1:]
                continue
            if len(buf) < n:
                break
            frame, buf = buf[:n], buf[n:]
            if crc16(frame[:-2]).to_bytes(2, "little") != frame[-2:]:
                send([build_response_frame(ADR, frame[2], 0xFE)])
                continue
            answer(frame[2], frame[3:-2])


def serve_active_mode():
    while True:
        for epc in EPCS:
            try:
                send([build_response_frame(ADR, 0xEE, 0x00, epc)])
            except OSError:
                pass
            time.sleep(0.01)
        try:
            os.write(master, build_heartbeat())
        except OSError:
            pass
        time.sleep(0.1)


serve_active_mode() if args.active else serve_answer_mode()
