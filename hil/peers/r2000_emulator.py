"""An Impinj R2000 module on TCP whose every frame is built by pyimpinj's frame builder.

Prints `LISTENING <port>`. Answers Get Firmware Version, Set Work Antenna, Set Output Power
and Real Time Inventory (one tag frame per tag the work antenna sees, with its PC word, then
the end-of-round frame). Antenna 4 has no antenna plugged in: inventory there answers
"antenna missing". Tags have per-tag memory (gen2tags.py): Set Access EPC Match (0x85, mode 0
selects the tags whose EPC is the one given, mode 1 cancels) and Write (0x82) to the EPC bank
of the selected tags on the work antenna (of every tag there without a selection), answered
with one frame per tag (TagCount, DataLen, PC, EPC, CRC, ErrCode, FreqAnt, WriteCount): ErrCode
10 when written, 40 for a wrong access password, and the tag's own Gen2 error code (04 memory
locked, 03 memory overrun) when it refused; no tag is the single code 36.
`--tags N` puts tag i on antenna 1 + i % 3; `--epcs`, `--password EPC=HEX`, `--locked EPC` and
`--epc-words N` set the tags instead, all on antenna 1 (see gen2tags.py). stdin takes `epcs`,
`password EPC HEX`, `lock EPC`, `field EPC…`, `match` (prints `match <hex>` or `match none`,
the selection access commands are limited to) and `quit`.
"""

import argparse
import os
import random
import select
import socket
import sys

from pyImpinj.protocol import ImpinjR2KProtocols

import gen2tags

ap = argparse.ArgumentParser()
ap.add_argument("--tags", type=int, default=8)
gen2tags.add_arguments(ap)
args = ap.parse_args()

ADDR = 0x01
builder = ImpinjR2KProtocols(address=ADDR)
SUCCESS, FAIL, NO_TAG, PASSWORD_ERROR, PARAMETER_INVALID, MEMBANK_OUT_OF_RANGE = 0x10, 0x11, 0x36, 0x40, 0x41, 0x43


def frame(cmd, data):
    # pyimpinj builds frames through its `register` decorator; this is how its own gpio()
    # builds frames for commands that have no method.
    return ImpinjR2KProtocols.register(cmd)(lambda self, d: list(d))(builder, data)


if args.epcs:
    TAGS = gen2tags.population(args, [])
else:
    # Tag i is seen by antenna 1 + i % 3.
    DEFAULT = [bytes.fromhex("E28011700000020D%08X" % (0x2000 + i)) for i in range(args.tags)]
    TAGS = gen2tags.population(args, DEFAULT, antenna_of=lambda i: 1 + i % 3)
rng = random.Random(2000)


def new_tag(epc):
    return gen2tags.Tag(epc, capacity=max(args.epc_words, len(epc) // 2))


def write(data, state):
    """Write (0x82): Password(4) MemBank WordAdd WordCnt Data."""
    if len(data) < 7 or len(data) != 7 + 2 * data[6] or data[6] == 0:
        return [frame(0x82, [PARAMETER_INVALID])]
    password, bank, ptr = int.from_bytes(data[:4], "big"), data[4], data[5]
    if bank != 1:
        return [frame(0x82, [MEMBANK_OUT_OF_RANGE])]
    match = state["match"]
    targets = [t for t in TAGS if t.antenna == state["antenna"] and (match is None or t.epc == match)]
    if not targets:
        return [frame(0x82, [NO_TAG])]
    out = []
    for tag in targets:
        pc, epc = tag.pc, tag.epc
        if not tag.access(password):
            code = PASSWORD_ERROR
        else:
            err = tag.write(ptr, gen2tags.words_of(data[7:]))
            code = SUCCESS if err is None else err
        body = pc.to_bytes(2, "big") + epc + gen2tags.crc16(pc.to_bytes(2, "big") + epc).to_bytes(2, "big")
        freq_ant = (rng.randint(0, 59) << 2) | (state["antenna"] - 1)
        out.append(frame(0x82, [*len(targets).to_bytes(2, "big"), len(body), *body, code, freq_ant, 1]))
    return out


def answer(cmd, data, state):
    if cmd == 0x72:
        return [frame(0x72, [1, 9])]
    if cmd == 0x74:
        state["antenna"] = data[0] + 1
        return [frame(0x74, [SUCCESS])]
    if cmd == 0x76:
        return [frame(0x76, [SUCCESS])]
    if cmd == 0x85:
        if data[:1] == b"\x01":
            state["match"] = None
        elif len(data) >= 2 and data[0] == 0 and len(data) == 2 + data[1] and data[1] > 0:
            state["match"] = bytes(data[2:])
        else:
            return [frame(0x85, [0x4D])]
        return [frame(0x85, [SUCCESS])]
    if cmd == 0x82:
        return write(data, state)
    if cmd == 0x89:
        ant = state["antenna"]
        if ant == 4:
            return [frame(0x89, [0x22])]
        out = []
        for tag in TAGS:
            if tag.antenna == ant:
                freq = rng.randint(0, 59)
                epc, pc = tag.epc, tag.pc
                out.append(frame(0x89, [(freq << 2) | (ant - 1), pc >> 8, pc & 0xFF, *epc, rng.randint(0x40, 0x62)]))
        n = len(out)
        out.append(frame(0x89, [ant - 1, 0, 50, 0, 0, 0, n]))
        return out
    return [frame(cmd, [FAIL])]


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print("LISTENING", srv.getsockname()[1], flush=True)
# The module's state outlives connections, as a real module's does until power-off: a client
# that leaves an access EPC match behind leaves it for the next one.
state = {"antenna": 1, "match": None}
conn, buf, line, stdin_open = None, b"", b"", True
while True:
    watched = [conn or srv] + ([sys.stdin.fileno()] if stdin_open else [])
    ready, _, _ = select.select(watched, [], [], 1.0)
    if sys.stdin.fileno() in ready:  # the control channel
        chunk = os.read(sys.stdin.fileno(), 512)
        if not chunk:
            stdin_open = False
        line += chunk
        while b"\n" in line:
            one, line = line.split(b"\n", 1)
            if one.split() == [b"quit"]:
                sys.exit(0)
            if one.split() == [b"match"]:
                # The tags access commands are limited to now: `match <hex>` or `match none`.
                m = state["match"]
                print("match", m.hex().upper() if m is not None else "none", flush=True)
                continue
            print(gen2tags.control(one.decode(), TAGS, new_tag), flush=True)
    if srv in ready:
        conn, _ = srv.accept()
        buf = b""
        continue
    if conn is None or conn not in ready:
        continue
    try:
        chunk = conn.recv(512)
    except OSError:
        chunk = b""
    if not chunk:
        conn.close()
        conn = None
        continue
    buf += chunk
    while len(buf) >= 2:
        if buf[0] != 0xA0:
            buf = buf[1:]
            continue
        n = buf[1] + 2
        if len(buf) < n:
            break
        f, buf = buf[:n], buf[n:]
        if sum(f) & 0xFF:
            continue
        for out in answer(f[3], f[4:-1], state):
            conn.sendall(out)
