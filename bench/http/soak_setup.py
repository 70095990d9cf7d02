#!/usr/bin/env python3
"""A cohort of fans for bench/http/soak.lua: signs up FANS accounts named PREFIX<i>, logs each
in, queues them for EVENT and waits until all are admitted. Picks SECTIONS sections of the event
(random, seeded: the same seed gives the same sections and seats) and gives every fan its own
free seats of them, each seat to one fan only. Signs up 20 more accounts for the load's
log-ins, so that those do not close the fans' sessions (an account keeps its 10 newest).
Writes OUT: a "#sections A,B,..." line, a "#logins EMAIL,EMAIL,..." line, then one line a fan: "account token admission ticket email seat,seat,...". Standard library only.
Usage: soak_setup.py URL EVENT FANS SECTIONS SEED PREFIX OUT"""
import json, random, sys, threading, time, urllib.error, urllib.request

url, event, fans, n_sections, seed, prefix, out = sys.argv[1:8]
fans, n_sections, seed = int(fans), int(n_sections), int(seed)
password = "correct horse"


def call(method, path, body=None, token=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


rng = random.Random(seed)
_, whole = call("GET", f"/v1/events/{event}/seatmap")
sections = sorted(rng.sample([s["id"] for s in whole["sections"]], n_sections))
seats = [s["id"] for sec in whole["sections"] if sec["id"] in sections for s in sec["seats"]
         if s["status"] == "free"]
rng.shuffle(seats)

accounts, tokens, tickets, emails = ([None] * fans for _ in range(4))


def register(k):
    for i in range(k, fans, 16):
        emails[i] = f"{prefix}{i}@example.com"
        creds = {"email": emails[i], "password": password}
        status, acc = call("POST", "/v1/accounts", creds)
        assert status == 201, (status, acc)
        accounts[i] = acc["id"]
        status, s = call("POST", "/v1/sessions", creds)
        assert status == 201, (status, s)
        tokens[i] = s["token"]
        status, q = call("POST", f"/v1/events/{event}/queue", {"device": f"{prefix}-d{i}"},
                         tokens[i])
        assert status in (200, 201), (status, q)
        tickets[i] = q["ticket"]


logins = [f"{prefix}login{i}@example.com" for i in range(20)]
for email in logins:
    status, acc = call("POST", "/v1/accounts", {"email": email, "password": password})
    assert status == 201, (status, acc)

threads = [threading.Thread(target=register, args=(k,)) for k in range(16)]
[t.start() for t in threads]
[t.join() for t in threads]
admissions = [None] * fans
deadline = time.time() + 120
while None in admissions:
    assert time.time() < deadline, "fans not admitted within 120 s"
    time.sleep(1)  # the pacer admits once a second
    for i in range(fans):
        if admissions[i] is None:
            _, st = call("GET", f"/v1/events/{event}/queue/{tickets[i]}", token=tokens[i])
            admissions[i] = st.get("admission_token")
per_fan = len(seats) // fans
with open(out, "w") as f:
    f.write("#sections " + ",".join(sections) + "\n")
    f.write("#logins " + ",".join(logins) + "\n")
    for i in range(fans):
        mine = ",".join(seats[i * per_fan:(i + 1) * per_fan])
        f.write(f"{accounts[i]} {tokens[i]} {admissions[i]} {tickets[i]} {emails[i]} {mine}\n")
print(f"{fans} fans ({prefix}*) admitted, {per_fan} seats each in sections {','.join(sections)}")
