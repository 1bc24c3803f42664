"""An SMTP server for the notification tests: aiosmtpd's Controller (a real SMTP server, not
ours) on 127.0.0.1:PORT. Prints "LISTENING PORT", then one JSON line per message received —
envelope sender, recipients, subject, plain-text body — until its stdin closes. A recipient
whose address starts with "nobody@" is refused for good (550), as a relay refuses a mailbox
that does not exist.

    python smtp_sink.py --port 2525
"""

import argparse
import email
import json
import sys
from email import policy

from aiosmtpd.controller import Controller


class Print:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        print(
            json.dumps(
                {
                    "from": envelope.mail_from,
                    "to": sorted(envelope.rcpt_tos),
                    "subject": str(message["subject"]),
                    "body": body.get_content() if body is not None else "",
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
        return "250 OK"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    controller = Controller(Print(), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"LISTENING {args.port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
