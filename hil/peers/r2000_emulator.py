"""An Impinj R2000 module on TCP whose every frame is built by pyimpinj's frame builder.

Prints `LISTENING <port>`. Answers Get Firmware Version, Set Work Antenna, Set Output Power
and Real Time Inventory (one tag frame per tag the work antenna sees, then the end-of-round
frame). Antenna 4 has no antenna plugged in: inventory there answers "antenna missing".
"""

import argparse
import random
import socket

from pyImpinj.protocol import ImpinjR2KProtocols

ap = argparse.ArgumentParser()
ap.add_argument("--tags", type=int, default=8)
args = ap.parse_args()

ADDR = 0x01
builder = ImpinjR2KProtocols(address=ADDR)


def frame(cmd, data):
    # pyimpinj builds frames through its `register` decorator; this is how its own gpio()
    # builds frames for commands that have no method.
    return ImpinjR2KProtocols.register(cmd)(lambda self, d: list(d))(builder, data)


# Tag i is seen by antenna 1 + i % 3.
TAGS = [(1 + i % 3, bytes.fromhex("E28011700000020D%08X" % (0x2000 + i))) for i in range(args.tags)]
rng = random.Random(2000)


def answer(cmd, data, state):
    if cmd == 0x72:
        return [frame(0x72, [1, 9])]
    if cmd == 0x74:
        state["antenna"] = data[0] + 1
        return [frame(0x74, [0x10])]
    if cmd == 0x76:
        return [frame(0x76, [0x10])]
    if cmd == 0x89:
        ant = state["antenna"]
        if ant == 4:
            return [frame(0x89, [0x22])]
        out = []
        for tag_ant, epc in TAGS:
            if tag_ant == ant:
                freq = rng.randint(0, 59)
                pc = (len(epc) // 2) << 11
                out.append(frame(0x89, [(freq << 2) | (ant - 1), pc >> 8, pc & 0xFF, *epc, rng.randint(0x40, 0x62)]))
        n = len(out)
        out.append(frame(0x89, [ant - 1, 0, 50, 0, 0, 0, n]))
        return out
    return [frame(cmd, [0x11])]


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print("LISTENING", srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    state = {"antenna": 1}
    buf = b""
    while True:
        chunk = conn.recv(512)
        if not chunk:
            break
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
    conn.close()
