#!/usr/bin/env python3
"""Sends exactly N requests of one kind over C keep-alive connections and prints the answers
by status, for bench/callgrind.sh (a fixed count, so instructions divide by it). Kinds:
  hold FILE      POST /v1/events/E/holds, one line of FILE ("token admission seat E") each
  poll FILE      GET /v1/events/EVENT/queue/TICKET, lines of FILE ("token ticket") in turn
  get PATH       GET PATH (e.g. a seat map, or an unknown route for the bare edge)
Usage: fixed.py HOST:PORT EVENT N C KIND ARG. Standard library only."""
import collections, http.client, json, sys, threading

hostport, event, n, conns, kind, arg = sys.argv[1:7]
n, conns = int(n), int(conns)
host, port = hostport.rsplit(":", 1)
lines = [] if kind == "get" else [l.split() for l in open(arg)]
if kind == "hold" and len(lines) < n:
    sys.exit(f"fixed.py: {arg} has {len(lines)} seats, fewer than {n} holds")


def request(i):
    if kind == "hold":
        token, admission, seat, *rest = lines[i]  # setup.py names the seat's event
        return ("POST", f"/v1/events/{rest[0] if rest else event}/holds", json.dumps({"seats": [seat]}),
                {"Authorization": "Bearer " + token, "X-Admission-Token": admission,
                 "Content-Type": "application/json"})
    if kind == "poll":
        token, ticket = lines[i % len(lines)]
        return ("GET", f"/v1/events/{event}/queue/{ticket}", None,
                {"Authorization": "Bearer " + token})
    return ("GET", arg, None, {})


statuses = collections.Counter()
lock = threading.Lock()


def worker(k):
    c = http.client.HTTPConnection(host, int(port), timeout=600)
    mine = collections.Counter()
    for i in range(k, n, conns):
        method, path, body, headers = request(i)
        c.request(method, path, body, headers)
        r = c.getresponse()
        r.read()
        mine[r.status] += 1
    with lock:
        statuses.update(mine)


threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
[t.start() for t in threads]
[t.join() for t in threads]
print(" ".join(f"{s}={statuses[s]}" for s in sorted(statuses)))
