"""The --serve loop of the PyTorch peers (bench/_speed_runners.ts's torchServer): one JSON line about the peer, then
one JSON line per request line read from stdin, until `quit` or the end of stdin."""
import json
import sys


def serve(info, requests):
    """`requests` maps a request's first word (e.g. `steps`) to a function of its other words that returns the reply
    (e.g. {"ms": 4.1}); an unknown request, or one that fails, gets {"error": ...}."""
    print(json.dumps({"ready": True, **info}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        handler = requests.get(words[0])
        try:
            reply = handler(*words[1:]) if handler else {"error": f"unknown request {line.strip()!r}"}
        except Exception as error:  # noqa: BLE001 -- the caller shows it
            reply = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)
