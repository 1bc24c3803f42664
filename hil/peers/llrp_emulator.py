"""Runs llrpkit's LLRP reader emulator for the interop tests.

Prints `LISTENING <port>` once bound. Reads commands on stdin, one a line:
`acks` prints `acks <KEEPALIVE_ACKs received>`; `antenna <id> <0|1>` (dis)connects an
antenna port; `inject <hex>` writes raw bytes to the connected client between two messages,
as a faulty reader or a broken middlebox would; `quit` stops.
"""

import argparse
import asyncio
import sys

from llrpkit.emulator import LLRPEmulator, default_population


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tags", type=int, default=8)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--antennas", type=int, default=4)
    args = ap.parse_args()
    emu = LLRPEmulator(port=args.port, tags=default_population(args.tags, args.antennas), reads_per_sec=args.rate,
                       antenna_count=args.antennas)
    await emu.start()
    print("LISTENING", emu.port, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        words = line.split()
        if not line or words == ["quit"]:
            break
        if words == ["acks"]:
            print("acks", emu.keepalive_acks, flush=True)
        elif len(words) == 3 and words[0] == "antenna":
            await emu.set_antenna_connected(int(words[1]), words[2] == "1")
            print("ok", flush=True)
        elif len(words) == 2 and words[0] == "inject":
            # The emulator's own send lock keeps the bytes from landing inside a message.
            async with emu._send_lock:
                emu._writer.write(bytes.fromhex(words[1]))
                await emu._writer.drain()
            print("ok", flush=True)
    await emu.stop()


asyncio.run(main())
