"""Answer EPC questions with epcpy (GS1 Tag Data Standard), one JSON object per line.

Requests on stdin:
  {"op": "decode", "hex": "3414..."}
  {"op": "encode_giai96", "filter": 0, "company_prefix": "0614141", "asset_reference": 12345}
Answers on stdout, in order: {"ok": true, "uri": ...} / {"ok": true, "hex": ...} / {"ok": false, "error": ...}

Used by the depot's tests to check its own GS1 codecs against an independent implementation.
"""
import json
import sys

from epcpy import hex_to_tag_encodable
from epcpy.epc_schemes.giai import GIAI, GIAIFilterValue


def answer(req):
    try:
        if req["op"] == "decode":
            return {"ok": True, "uri": hex_to_tag_encodable(req["hex"]).epc_uri}
        if req["op"] == "encode_giai96":
            giai = GIAI(f"urn:epc:id:giai:{req['company_prefix']}.{req['asset_reference']}")
            scheme = GIAI.BinaryCodingScheme.GIAI_96
            filter_value = GIAIFilterValue(str(req["filter"]))
            # hex() alone does not refuse an asset reference too wide for 96 bits (it emits
            # a longer binary); tag_uri() applies the standard's checks, so ask it first.
            giai.tag_uri(binary_coding_scheme=scheme, filter_value=filter_value)
            hex_ = giai.hex(binary_coding_scheme=scheme, filter_value=filter_value)
            # epcpy drops leading zeros of the hex: pad to 96 bits
            return {"ok": True, "hex": hex_.upper().zfill(24)}
        return {"ok": False, "error": f"unknown op {req['op']}"}
    except Exception as e:  # epcpy signals invalid input by raising
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


for line in sys.stdin:
    if line.strip():
        print(json.dumps(answer(json.loads(line))), flush=True)
