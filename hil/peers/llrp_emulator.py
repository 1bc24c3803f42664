"""Runs llrpkit's LLRP reader emulator for the interop tests.

Prints `LISTENING <port>` once bound. With `--play TRACE.jsonl` the emulator reads no random
population: once a client has started inventory it sends each read of the trace (the JSON
Lines format of the depot's traces) as an RO_ACCESS_REPORT at the trace's pace (`--speed`),
stamped with the current time, and starts over with `--loop`. `--forever` ignores stdin. Reads commands on stdin, one a line:
`acks` prints `acks <KEEPALIVE_ACKs received>`; `antenna <id> <0|1>` (dis)connects an
antenna port; `inject <hex>` writes raw bytes to the connected client between two messages,
as a faulty reader or a broken middlebox would; `epcs` prints `epcs <hex>…`, the EPCs the tags
carry now (sorted); `password <epc> <hex>` sets a tag's access password; `lock <epc>` locks its
EPC bank; `quit` stops. `--epcs HEX,HEX` replaces the random population with those tags, all on
antenna 1.
"""

import argparse
import asyncio
import json
import sys
import time

from llrpkit.emulator import EmulatedTag, LLRPEmulator, default_population
from llrpkit.protocol import messages, params


async def play(emu, path, speed, loop_forever):
    """Send the trace's reads as reports, in real time, while a client runs inventory."""
    with open(path) as f:
        reads = [json.loads(line) for line in f if line.strip()]
    if not reads:
        return
    while True:
        while not emu._scan_profile().antennas:
            await asyncio.sleep(0.05)
        t0, start = reads[0]["t_us"], time.monotonic()
        for r in reads:
            due = start + (r["t_us"] - t0) / 1e6 / speed
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            epc = bytes.fromhex(r["epc"])
            now = int(time.time() * 1e6)
            trd = params.TagReportData(
                epc_parameter=params.EPC_96(epc=epc),
                antenna_id=params.AntennaID(antenna_id=r["ant"]),
                peak_rssi=params.PeakRSSI(peak_rssi=int(r.get("rssi", -55))),
                first_seen_timestamp_utc=params.FirstSeenTimestampUTC(microseconds=now),
                last_seen_timestamp_utc=params.LastSeenTimestampUTC(microseconds=now),
                tag_seen_count=params.TagSeenCount(tag_count=1),
            )
            await emu._send(messages.RO_ACCESS_REPORT(tag_report_datas=[trd]))
        print("played", len(reads), flush=True)
        if not loop_forever:
            return


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tags", type=int, default=8)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--antennas", type=int, default=4)
    ap.add_argument("--play", help="a reader trace (JSON Lines) to send instead of a random population")
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--loop", action="store_true")
    ap.add_argument("--epcs", help="comma-separated EPCs (hex) of the tags in the field")
    ap.add_argument("--forever", action="store_true", help="ignore stdin and run until killed (for demos)")
    args = ap.parse_args()
    if args.play:
        tags = []
    elif args.epcs:
        tags = [EmulatedTag(epc=bytes.fromhex(e), antennas=(1,), rssi_dbm=-50.0) for e in args.epcs.split(",")]
    else:
        tags = default_population(args.tags, args.antennas)
    emu = LLRPEmulator(port=args.port, tags=tags, reads_per_sec=args.rate, antenna_count=args.antennas)
    await emu.start()
    print("LISTENING", emu.port, flush=True)
    if args.play:
        asyncio.get_running_loop().create_task(play(emu, args.play, args.speed, args.loop))
    if args.forever:
        await asyncio.Event().wait()
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
        elif words and words[0] == "field":
            # The tags on the antenna now, as if taken off and others put on (a desk writer).
            emu.tags[:] = [EmulatedTag(epc=bytes.fromhex(e), antennas=(1,), rssi_dbm=-50.0) for e in words[1:]]
            print("ok", flush=True)
        elif words == ["epcs"]:
            print("epcs", *sorted(t.epc.hex().upper() for t in emu.tags), flush=True)
        elif len(words) == 3 and words[0] == "password":
            emu.set_tag_passwords(bytes.fromhex(words[1]), access=int(words[2], 16))
            print("ok", flush=True)
        elif len(words) == 2 and words[0] == "lock":
            emu._locked_banks.setdefault(bytes.fromhex(words[1]), set()).add(1)
            print("ok", flush=True)
        elif len(words) == 2 and words[0] == "inject":
            # The emulator's own send lock keeps the bytes from landing inside a message.
            async with emu._send_lock:
                emu._writer.write(bytes.fromhex(words[1]))
                await emu._writer.drain()
            print("ok", flush=True)
    await emu.stop()


asyncio.run(main())
