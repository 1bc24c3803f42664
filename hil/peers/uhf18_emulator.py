"""A UHFReader18 reader on a pty, speaking frames built by uhfreader18's frame builders.

Prints `PTY <path>`; the driver opens that path as its serial port. Answer mode answers
Get Reader Information, Set Power, Set Scan Time and Inventory (split into frames of four
tags, status 03 on all but the last; each tag is seen in nine rounds out of ten), and the tag
access commands on per-tag memory (gen2tags.py): Read Data (0x02) and Write Data (0x03) of
the EPC bank of the tag named by its whole EPC (or the bytes MaskAdr/MaskLen name), Write EPC
(0x04) to the first tag in the field. A wrong access password is status 05; a tag error
(memory locked, memory overrun) is status FC and the tag's error code; no matching tag is FB.
`--epcs`, `--password EPC=HEX`, `--locked EPC` and `--epc-words N` set the tags (see
gen2tags.py); stdin takes `epcs`, `password EPC HEX`, `lock EPC`, `field EPC…` and `quit`.
`--active` pushes one 0xEE frame per tag and a heartbeat between rounds instead. `--noise N`
precedes every Nth answer with garbage and a frame with a broken CRC, as a noisy RS-485 line
does.
"""

import argparse
import os
import random
import select
import sys
import time
import tty

from uhfreader18 import build_heartbeat, build_response_frame
from uhfreader18.checksum import crc16

import gen2tags

ap = argparse.ArgumentParser()
ap.add_argument("--tags", type=int, default=6)
ap.add_argument("--active", action="store_true")
ap.add_argument("--noise", type=int, default=0)
gen2tags.add_arguments(ap)
args = ap.parse_args()

DEFAULT_EPCS = [bytes.fromhex("E2801105200074%010X" % (0xA000 + i)) for i in range(args.tags)]
TAGS = gen2tags.population(args, DEFAULT_EPCS)
ADR = 0x00
master, slave = os.openpty()
tty.setraw(slave)
print("PTY", os.ttyname(slave), flush=True)
rng = random.Random(18)
answers = 0
power, scan_time = 30, 10

# Status bytes (manual §7).
SUCCESS, ACCESS_PASSWORD_ERROR, NO_TAG, TAG_ERROR, ILLEGAL, PARAMETER_ERROR = 0x00, 0x05, 0xFB, 0xFC, 0xFE, 0xFF
EPC_BANK = 1


def new_tag(epc):
    return gen2tags.Tag(epc, capacity=max(args.epc_words, len(epc) // 2))


def send(frames):
    global answers
    answers += 1
    if args.noise and answers % args.noise == 0:
        broken = bytearray(frames[0])
        broken[-1] ^= 0x5A
        os.write(master, bytes([0x00, 0x01, 0x02]) + bytes(broken))
    for f in frames:
        os.write(master, f)


def reply(cmd, status, data=b""):
    send([build_response_frame(ADR, cmd, status, bytes(data))])


def target(epc, mask):
    """The first tag that answers to `epc` (and the mask, when one was given)."""
    for t in TAGS:
        if t.matches(epc, *mask):
            return t
    return None


def access(cmd, data):
    """Read Data (0x02), Write Data (0x03) and Write EPC (0x04), per the manual's layouts."""
    if cmd == 0x04:  # ENum Pwd WEPC
        n = 2 * data[0] if data else 0
        if n == 0 or len(data) != 5 + n:
            return reply(cmd, PARAMETER_ERROR)
        password, epc = int.from_bytes(data[1:5], "big"), data[5:]
        # Whichever tag answers first: the first one in the field this round.
        tag = next((t for t in TAGS if rng.random() < 0.9), None)
        if tag is None:
            return reply(cmd, NO_TAG)
        if not tag.access(password):
            return reply(cmd, ACCESS_PASSWORD_ERROR)
        err = tag.write_epc(epc)
        return reply(cmd, SUCCESS) if err is None else reply(cmd, TAG_ERROR, [err])
    if cmd == 0x02:  # ENum EPC Mem WordPtr Num Pwd [MaskAdr MaskLen]
        if not data:
            return reply(cmd, PARAMETER_ERROR)
        wnum, head = None, 1 + 2 * data[0]
        fixed = head + 3 + 4
    else:  # WNum ENum EPC Mem WordPtr Wdt Pwd [MaskAdr MaskLen]
        if len(data) < 2 or data[0] == 0:
            return reply(cmd, PARAMETER_ERROR)
        wnum, head = data[0], 2 + 2 * data[1]
        fixed = head + 2 + 2 * wnum + 4
    if len(data) not in (fixed, fixed + 2):
        return reply(cmd, PARAMETER_ERROR)
    epc = data[1 if wnum is None else 2:head]
    mem, ptr = data[head], data[head + 1]
    password = int.from_bytes(data[fixed - 4:fixed], "big")
    mask = (data[fixed], data[fixed + 1]) if len(data) == fixed + 2 else (None, None)
    if mem != EPC_BANK:
        return reply(cmd, PARAMETER_ERROR)
    tag = target(epc, mask)
    if tag is None:
        return reply(cmd, NO_TAG)
    if not tag.access(password):
        return reply(cmd, ACCESS_PASSWORD_ERROR)
    if wnum is None:
        got = tag.read(ptr, data[head + 2])
        if isinstance(got, int):
            return reply(cmd, TAG_ERROR, [got])
        return reply(cmd, SUCCESS, b"".join(w.to_bytes(2, "big") for w in got))
    err = tag.write(ptr, gen2tags.words_of(data[head + 2:head + 2 + 2 * wnum]))
    return reply(cmd, SUCCESS) if err is None else reply(cmd, TAG_ERROR, [err])


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
        seen = [t.epc for t in TAGS if rng.random() < 0.9]
        if not seen:
            send([build_response_frame(ADR, 0x01, NO_TAG)])
            return
        chunks = [seen[i:i + 4] for i in range(0, len(seen), 4)]
        frames = []
        for n, chunk in enumerate(chunks):
            status = 0x03 if n + 1 < len(chunks) else 0x01
            body = bytes([len(chunk)]) + b"".join(bytes([len(e)]) + e for e in chunk)
            frames.append(build_response_frame(ADR, 0x01, status, body))
        send(frames)
    elif cmd in (0x02, 0x03, 0x04):
        access(cmd, data)
    else:
        send([build_response_frame(ADR, cmd, ILLEGAL)])


def serve_answer_mode():
    buf = b""
    line = b""
    stdin_open = True
    while True:
        watched = [master] + ([sys.stdin.fileno()] if stdin_open else [])
        try:
            r, _, _ = select.select(watched, [], [], 1.0)
        except OSError:
            time.sleep(0.05)
            continue
        if sys.stdin.fileno() in r:
            chunk = os.read(sys.stdin.fileno(), 512)
            if not chunk:
                stdin_open = False
            line += chunk
            while b"\n" in line:
                one, line = line.split(b"\n", 1)
                if one.split() == [b"quit"]:
                    return
                print(gen2tags.control(one.decode(), TAGS, new_tag), flush=True)
        if master in r:
            try:
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
                send([build_response_frame(ADR, frame[2], ILLEGAL)])
                continue
            answer(frame[2], frame[3:-2])


def serve_active_mode():
    while True:
        for tag in TAGS:
            try:
                send([build_response_frame(ADR, 0xEE, 0x00, tag.epc)])
            except OSError:
                pass
            time.sleep(0.01)
        try:
            os.write(master, build_heartbeat())
        except OSError:
            pass
        time.sleep(0.1)


serve_active_mode() if args.active else serve_answer_mode()
