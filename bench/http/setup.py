#!/usr/bin/env python3
"""Creates event EVENT on the demo stadium (and EVENTS_PER_RUN - 1 more) and N fans, each
admitted, and writes "token admission seat event" lines (every seat of each event once) for
holds.lua; with FANS_OUT also "token ticket" lines,
a fan each, for polls of admitted fans; with WAITING_OUT the same fans also join the queue of
EVENT-wait, which admits one fan a minute, and "token ticket" lines of the waiting ones go there.
With ACCOUNTS_OUT also "token account" lines, a fan each.
Usage: setup.py URL ADMIN FANS OUT EVENT [FANS_OUT [WAITING_OUT]]"""
import json, os, sys, threading, time, urllib.request

url, admin, fans, out, event = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]

def call(method, path, body=None, token=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")

def add_event(event_id, per_min):
    status, _ = call("POST", "/v1/admin/events", {
        "id": event_id, "venue_id": "stadium", "name": "Bench", "opens_at": "2020-01-01T00:00:00Z",
        "admission_per_min": per_min, "max_active_shoppers": per_min, "queue_mode": "fifo",
        "max_tickets_per_account": 100, "max_seats_per_hold": 8}, admin)
    assert status in (201, 409), status

# EVENTS_PER_RUN events (EVENT, EVENT-2, ...) so that a run of holds does not sell out the
# 50,000 seats of one: a run that did would count the sell-out, not the holds.
events = [event] + [f"{event}-{k}" for k in range(2, int(os.environ.get("EVENTS_PER_RUN", "1")) + 1)]
for e in events:
    add_event(e, 1000000)
_, seatmap = call("GET", f"/v1/events/{event}/seatmap")
seats = [s["id"] for sec in seatmap["sections"] for s in sec["seats"]]

tokens = [None] * fans
accounts = [None] * fans
def register(k):
    for i in range(k, fans, 16):
        creds = {"email": f"bench{i}@example.com", "password": "correct horse"}
        _, a = call("POST", "/v1/accounts", creds)
        accounts[i] = a.get("id")
        _, s = call("POST", "/v1/sessions", creds)
        tokens[i] = s["token"]
threads = [threading.Thread(target=register, args=(k,)) for k in range(16)]
[t.start() for t in threads]; [t.join() for t in threads]

def admitted_in(e):
    """Every fan joins the queue of e; returns (tickets, admission tokens) once all are in."""
    tickets = [None] * fans
    def join(k):
        for i in range(k, fans, 16):
            _, q = call("POST", f"/v1/events/{e}/queue", {"device": f"d{i}"}, tokens[i])
            tickets[i] = q["ticket"]
    threads = [threading.Thread(target=join, args=(k,)) for k in range(16)]
    [t.start() for t in threads]; [t.join() for t in threads]
    admissions = [None] * fans
    while None in admissions:
        time.sleep(1)  # the pacer admits once a second
        for i in range(fans):
            if admissions[i] is None:
                _, st = call("GET", f"/v1/events/{e}/queue/{tickets[i]}", token=tokens[i])
                admissions[i] = st.get("admission_token")
    return tickets, admissions

per_event = {e: admitted_in(e) for e in events}
tickets = per_event[event][0]
per_fan = (len(seats) + fans - 1) // fans
with open(out, "w") as f:
    # Interleave fans (and events) so that consecutive requests go to different sessions.
    for k in range(per_fan):
        for i in range(fans):
            n = i * per_fan + k
            if n < len(seats) and k < 100:
                for e in events:
                    f.write(f"{tokens[i]} {per_event[e][1][i]} {seats[n]} {e}\n")
if len(sys.argv) > 6:
    with open(sys.argv[6], "w") as f:
        for i in range(fans):
            f.write(f"{tokens[i]} {tickets[i]}\n")
if len(sys.argv) > 7:
    add_event(event + "-wait", 1)
    waiting = []
    for i in range(fans):
        _, q = call("POST", f"/v1/events/{event}-wait/queue", {"device": f"d{i}"}, tokens[i])
        if q.get("state") == "waiting":
            waiting.append(f"{tokens[i]} {q['ticket']}\n")
    with open(sys.argv[7], "w") as f:
        f.writelines(waiting)
if os.environ.get("ACCOUNTS_OUT"):  # "token account" per fan (where its session lives)
    with open(os.environ["ACCOUNTS_OUT"], "w") as f:
        for i in range(fans):
            f.write(f"{tokens[i]} {accounts[i]}\n")
print(f"{fans} fans admitted, {len(seats)} seats in each of {len(events)} events")
