"""EPCIS 2.0 oracle for Depot's tests, one JSON document a line on stdin, one answer a line.

  epcis_oracle.py hash             each line an EPCIS document (EPCISDocument or
                                   EPCISQueryDocument): answers {"ids": [...], "prehashes": [...]}
                                   by GS1's reference event hash generator.
  epcis_oracle.py validate SCHEMA  answers {"errors": [...]}: the document against GS1's EPCIS
                                   JSON Schema (draft-07, formats checked).
"""

import json
import sys


def events_document(doc):
    """The reference generator reads an EPCISDocument's eventList."""
    body = doc["epcisBody"]
    if "queryResults" in body:
        events = body["queryResults"]["resultsBody"]["eventList"]
    else:
        events = body["eventList"]
    return {"@context": doc["@context"], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": doc.get("creationDate", "2030-01-01T00:00:00Z"),
            "epcisBody": {"eventList": events}}


def main():
    mode = sys.argv[1]
    if mode == "hash":
        from epcis_event_hash_generator import hash_generator, json_to_py
        for line in sys.stdin:
            doc = events_document(json.loads(line))
            events = json_to_py.event_list_from_epcis_document_json(doc)
            prehashes = hash_generator.derive_prehashes_from_events(events)
            ids = hash_generator.calculate_hashes_from_pre_hashes(prehashes)
            print(json.dumps({"ids": ids, "prehashes": prehashes}), flush=True)
    elif mode == "validate":
        import jsonschema
        with open(sys.argv[2]) as f:
            schema = json.load(f)
        validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
        for line in sys.stdin:
            doc = json.loads(line)
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
            print(json.dumps({"errors": errors}), flush=True)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
