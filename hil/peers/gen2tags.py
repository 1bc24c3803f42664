"""Gen2 tag memory for the serial reader emulators: each tag's EPC bank (StoredCRC, PC word,
EPC words, up to its capacity), its access password, and whether its EPC bank is locked.

The reported EPC is what the PC word's length bits say, as a real tag backscatters it: writing
a longer EPC from word 2 without the PC word leaves the tag reporting the old length.
A tag with a non-zero access password has its EPC bank writable from the secured state only,
so a write needs that password; a write with a wrong password is refused (the Access command
fails). A locked tag refuses every write with the Gen2 error code "memory locked".
"""

import libscrc

# Gen2 tag error codes (EPC Gen2 Annex I).
MEMORY_OVERRUN = 0x03
MEMORY_LOCKED = 0x04


def crc16(data):
    """CRC-16 of the Gen2 air interface (what a tag stores in word 0 and sends with its EPC)."""
    return libscrc.xmodem(bytes(data), 0xFFFF) ^ 0xFFFF


def words_of(epc):
    return [int.from_bytes(epc[i:i + 2], "big") for i in range(0, len(epc), 2)]


class Tag:
    def __init__(self, epc, antenna=1, password=0, locked=False, capacity=8):
        n = len(epc) // 2
        self.antenna = antenna
        self.password = password
        self.locked = locked
        self.bank = [0, n << 11] + words_of(epc) + [0] * max(0, capacity - n)
        self._crc()

    def _crc(self):
        self.bank[0] = crc16(self.pc.to_bytes(2, "big") + self.epc)

    @property
    def pc(self):
        return self.bank[1]

    @property
    def epc(self):
        n = min(self.bank[1] >> 11, len(self.bank) - 2)
        return b"".join(w.to_bytes(2, "big") for w in self.bank[2:2 + n])

    def matches(self, epc, mask_adr=None, mask_len=None):
        """Whether the tag answers to `epc` (all of it, or the bytes a mask names)."""
        if mask_adr is None:
            return self.epc == epc
        return self.epc[mask_adr:mask_adr + mask_len] == epc[mask_adr:mask_adr + mask_len]

    def access(self, password):
        """Whether an Access with `password` succeeds (a zero password skips Access)."""
        return password == self.password

    def read(self, ptr, num):
        """Words of the EPC bank, or a Gen2 error code."""
        if ptr + num > len(self.bank):
            return MEMORY_OVERRUN
        return self.bank[ptr:ptr + num]

    def write(self, ptr, words):
        """Writes words to the EPC bank; None, or a Gen2 error code."""
        if self.locked:
            return MEMORY_LOCKED
        if ptr < 1 or ptr + len(words) > len(self.bank):
            return MEMORY_OVERRUN
        self.bank[ptr:ptr + len(words)] = words
        self._crc()
        return None

    def write_epc(self, epc):
        """Writes an EPC with the PC word's length bits (what Write EPC commands do)."""
        pc = ((len(epc) // 2) << 11) | (self.pc & 0x07FF)
        return self.write(1, [pc] + words_of(epc))


def population(args, default_epcs, antenna_of=lambda i: 1):
    """The tags the command line asks for: `--epcs`, or the default EPCs; `--password EPC=HEX`
    and `--locked EPC` (repeatable), `--epc-words N` of EPC memory each."""
    epcs = [bytes.fromhex(e) for e in args.epcs.split(",")] if args.epcs else default_epcs
    passwords = dict(p.split("=") for p in args.password)
    passwords = {bytes.fromhex(k): int(v, 16) for k, v in passwords.items()}
    locked = {bytes.fromhex(e) for e in args.locked}
    return [
        Tag(e, antenna=antenna_of(i), password=passwords.get(e, 0), locked=e in locked,
            capacity=max(args.epc_words, len(e) // 2))
        for i, e in enumerate(epcs)
    ]


def add_arguments(ap):
    ap.add_argument("--epcs", help="comma-separated EPCs (hex) of the tags in the field")
    ap.add_argument("--password", action="append", default=[], metavar="EPC=HEX",
                    help="a tag's access password (its EPC bank then needs it to be written)")
    ap.add_argument("--locked", action="append", default=[], metavar="EPC",
                    help="a tag whose EPC bank is locked")
    ap.add_argument("--epc-words", type=int, default=8,
                    help="EPC memory of each tag, in words after the PC word (default 8: 128 bits)")


def control(line, tags, make_tag):
    """One line of the control channel (the emulator's stdin); the answer line, or None.

    `epcs` prints `epcs <hex>…`, the EPCs the tags carry now (sorted); `password <epc> <hex>`
    sets a tag's access password; `lock <epc>` locks its EPC bank; `field <epc>…` puts those
    tags on the antenna instead (as a desk writer's); `quit` stops.
    """
    words = line.split()

    def find(hexepc):
        epc = bytes.fromhex(hexepc)
        return [t for t in tags if t.epc == epc]

    if words == ["epcs"]:
        return " ".join(["epcs"] + sorted(t.epc.hex().upper() for t in tags))
    if len(words) == 3 and words[0] == "password":
        for t in find(words[1]):
            t.password = int(words[2], 16)
        return "ok"
    if len(words) == 2 and words[0] == "lock":
        for t in find(words[1]):
            t.locked = True
        return "ok"
    if words and words[0] == "field":
        tags[:] = [make_tag(bytes.fromhex(e)) for e in words[1:]]
        return "ok"
    return "unknown command"
