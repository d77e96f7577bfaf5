#!/usr/bin/env python3
"""Checks an audit log exported by Keysmith (`keysmith audit --json`, or the Audit log
section's JSON export) without Keysmith: every entry's hash, and the links between entries.

Each entry's hash is SHA-256 over the previous entry's hash (32 zero bytes before the first)
followed by six fields, each as its UTF-8 length (8 bytes, big-endian) and its bytes: seq,
at_unix, actor, action, credential_id (empty when none), details. `subject` is not hashed.

Usage: check-audit-chain.py EXPORT.json — exit 0 and "intact (N entries)", or exit 1 naming
the first entry that does not match. A filtered export checks each entry against the previous
hash it carries, and the links wherever entries follow one another.
"""
import hashlib
import json
import sys


def entry_hash(previous_hex, entry):
    digest = hashlib.sha256(bytes.fromhex(previous_hex))
    credential = "" if entry["credential_id"] is None else str(entry["credential_id"])
    for field in (str(entry["seq"]), str(entry["at_unix"]), entry["actor"], entry["action"],
                  credential, entry["details"]):
        data = field.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def main(path):
    with open(path, encoding="utf-8") as file:
        entries = json.load(file)
    before = None
    for entry in entries:
        follows = before is not None and entry["seq"] == before["seq"] + 1
        if follows and entry["previous_hash"] != before["hash"]:
            print(f"broken at entry {entry['seq']}: it does not follow entry {before['seq']}")
            return 1
        if entry["seq"] == 1 and entry["previous_hash"] != "00" * 32:
            print("broken at entry 1: the first entry must follow 32 zero bytes")
            return 1
        if entry_hash(entry["previous_hash"], entry) != entry["hash"]:
            print(f"broken at entry {entry['seq']}: it does not match its hash")
            return 1
        before = entry
    print(f"intact ({len(entries)} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
