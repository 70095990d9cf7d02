// kill -9 of `seatgrab serve` at two exact points, placed by the test faults of
// app/test_faults.hpp: between the durable write and the reply (the client retries with its
// Idempotency-Key after the restart: one effect, the same answer), and in the middle of the
// checkout saga (the box office finishes the order by itself when the node starts again).
#include "messages/checkout.pb.h"
#include "messages/session.pb.h"
#include "persistence/keys.hpp"
#include "security/encoding.hpp"
#include "tests/http/crash_support.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <set>
#include <sys/wait.h>
#include <thread>

using nlohmann::json;
namespace sg = seatgrab;
using sg::test::crash::fan_set;

namespace {

const std::string kill_before_reply = "SEATGRAB_TEST_KILL_BEFORE_REPLY=";

/// The answer a node killed by the kill-before-reply fault never sent, from its output.
std::string lost_answer(sg::test::server_process& srv, const std::string& target) {
  auto status = srv.wait();
  CHECK_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
                "the node was to kill itself, status " << status);
  srv.output_closed();
  auto out = srv.output();
  auto line = "test fault: kill before reply to POST " + target + ": ";
  auto at = out.find(line);
  REQUIRE_MESSAGE(at != std::string::npos, out.substr(out.size() > 2000 ? out.size() - 2000 : 0));
  at += line.size();
  return out.substr(at, out.find('\n', at) - at);
}

/// POSTs as `token` with `key`; the node is to die instead of answering.
void post_and_lose(uint16_t port, const std::string& token, const std::string& target,
                   const std::string& body, const std::string& key) {
  sg::test::http_client c{port};
  CHECK_THROWS(c.with_token(token, "POST", target, body, {{"Idempotency-Key", key}}));
}

/// POSTs again after the restart: the stored answer, marked as replayed.
void replayed(uint16_t port, const std::string& token, const std::string& target,
              const std::string& body, const std::string& key, const std::string& lost) {
  sg::test::http_client c{port};
  auto res = c.with_token(token, "POST", target, body, {{"Idempotency-Key", key}});
  CHECK_MESSAGE(res.result_int() / 100 == 2, res.body());
  CHECK(res["Idempotent-Replayed"] == "true");
  CHECK_MESSAGE(res.body() == lost, "the retry answered otherwise than the lost reply");
}

/// Erases the stored answer to `target` with `key` of `account` from the stopped node's `dir`:
/// the state a kill leaves between the durable effect and the durable answer record, which
/// the edge writes in a later batch (http/idempotency.cpp).
void lose_stored_answer(const std::filesystem::path& dir, const std::string& account,
                        const std::string& target, const std::string& key) {
  auto db = sg::persistence::store::open({dir, sg::persistence::durability::fsync});
  REQUIRE_MESSAGE(db, sg::render(db.error()));
  auto record =
      "http/" + sg::security::sha256_hex("account:" + account + "\n" + target + "\n" + key);
  auto stored = (*db)->get(sg::persistence::column::idempotency, record);
  REQUIRE(stored);
  REQUIRE_MESSAGE(stored->has_value(), "no stored answer to " << target);
  sg::persistence::write_set ws;
  ws.erase(sg::persistence::column::idempotency, record);
  REQUIRE((*db)->write(ws, true));
}

/// Erases, in the stopped node's `dir`, the only session's record of hold `hold_id` if it got
/// to disk (it can only be the newest), and the edge's answer to `target` with `key` if that
/// did: the state a kill can leave between the section's write of a hold (its one durable
/// round) and the records that follow the answer unawaited.
void lose_hold_records(const std::filesystem::path& dir, const std::string& hold_id,
                       const std::string& target, const std::string& key) {
  auto db = sg::persistence::store::open({dir, sg::persistence::durability::fsync});
  REQUIRE_MESSAGE(db, sg::render(db.error()));
  auto sessions = (*db)->entities("session");
  REQUIRE(sessions);
  REQUIRE(sessions->size() == 1);
  auto account = sessions->front();
  auto log = (*db)->load("session", account);
  REQUIRE(log);
  sg::persistence::write_set ws;
  for (const auto& [seq, bytes] : log->tail) {
    sg::pb::session_event ev;
    REQUIRE(ev.ParseFromString(bytes));
    if (ev.has_held() && ev.held().hold_id() == hold_id) {
      REQUIRE(seq == log->tail.back().first);
      ws.erase(sg::persistence::column::journal,
               sg::persistence::journal_key("session", account, seq));
    }
  }
  if (!key.empty())
    ws.erase(sg::persistence::column::idempotency,
             "http/" + sg::security::sha256_hex("account:" + account + "\n" + target + "\n" + key));
  REQUIRE((*db)->write(ws, true));
}

json tickets_of(sg::test::http_client& c, const std::string& token) {
  auto res = c.with_token(token, "GET", "/v1/tickets");
  REQUIRE_MESSAGE(res.result_int() == 200, res.body());
  return json::parse(res.body())["tickets"];
}

} // namespace

TEST_CASE("a kill between the durable write and the reply: the retry with the key gets the "
          "same answer and there is one effect (checkout, transfer, refund)") {
  sg::test::temp_dir tmp{"seatgrab-http-reply-crash-"};
  auto dir = tmp / "data";
  fan_set f;
  std::string checkout_target, lost_checkout;
  const std::string card = json{{"card", "4242424242424242"}}.dump();
  {
    sg::test::server_process srv{
        SEATGRAB_BIN, dir, sg::test::admin_token, {}, {kill_before_reply + "/checkout"}};
    sg::test::crash::add_event(srv.port, 300);
    f = sg::test::crash::admitted_fans(srv.port, 2);
    sg::test::http_client c{srv.port};
    auto hold =
        c.with_token(f.tokens[0], "POST", "/v1/events/gig/holds", json{{"seats", {"A-1-1"}}}.dump(),
                     {{"X-Admission-Token", f.admissions[0]}});
    REQUIRE_MESSAGE(hold.result_int() == 201, hold.body());
    checkout_target =
        "/v1/holds/" + json::parse(hold.body())["id"].get<std::string>() + "/checkout";
    post_and_lose(srv.port, f.tokens[0], checkout_target, card, "pay-1");
    lost_checkout = lost_answer(srv, checkout_target);
  }
  auto order = json::parse(lost_checkout);
  REQUIRE(order["tickets"].size() == 1);
  auto ticket = order["tickets"][0]["id"].get<std::string>();
  auto transfer_target = "/v1/tickets/" + ticket + "/transfer";
  auto transfer_body = json{{"to", f.emails[1]}}.dump();
  std::string lost_transfer;
  {
    sg::test::server_process srv{
        SEATGRAB_BIN, dir, sg::test::admin_token, {}, {kill_before_reply + "/transfer"}};
    replayed(srv.port, f.tokens[0], checkout_target, card, "pay-1", lost_checkout);
    sg::test::http_client c{srv.port};
    auto mine = tickets_of(c, f.tokens[0]);
    REQUIRE(mine.size() == 1); // one order, one ticket: the same ones
    CHECK(mine[0]["id"] == ticket);
    CHECK(mine[0]["code"] == order["tickets"][0]["code"]);
    CHECK(sg::test::crash::seat_status(c).at("A-1-1") == "sold");
    post_and_lose(srv.port, f.tokens[0], transfer_target, transfer_body, "give-1");
    lost_transfer = lost_answer(srv, transfer_target);
  }
  auto refund_target = "/v1/tickets/" + ticket + "/refund";
  std::string lost_refund;
  {
    sg::test::server_process srv{
        SEATGRAB_BIN, dir, sg::test::admin_token, {}, {kill_before_reply + "/refund"}};
    replayed(srv.port, f.tokens[0], transfer_target, transfer_body, "give-1", lost_transfer);
    sg::test::http_client c{srv.port};
    CHECK(tickets_of(c, f.tokens[0]).empty());
    auto theirs = tickets_of(c, f.tokens[1]);
    REQUIRE(theirs.size() == 1);
    CHECK(theirs[0]["id"] == ticket);
    CHECK(json::parse(lost_transfer)["owner"] == theirs[0]["owner"]);
    post_and_lose(srv.port, f.tokens[1], refund_target, "", "back-1");
    lost_refund = lost_answer(srv, refund_target);
  }
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    replayed(srv.port, f.tokens[1], refund_target, "", "back-1", lost_refund);
    replayed(srv.port, f.tokens[0], checkout_target, card, "pay-1", lost_checkout);
    sg::test::http_client c{srv.port};
    auto theirs = tickets_of(c, f.tokens[1]);
    CHECK((theirs.empty() || theirs[0]["status"] == "refunded"));
    // The refunded seat goes back on sale (asynchronously after the restart).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (sg::test::crash::seat_status(c).at("A-1-1") != "free" &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{50}); // polling a live node
    CHECK(sg::test::crash::seat_status(c).at("A-1-1") == "free");
  }
  auto v = sg::test::crash::verify_dir(dir, sg::test::crash::now_ms() - 2000, true);
  CHECK_MESSAGE(v.ok(), sg::test::crash::describe(v));
  CHECK(v.seats_sold == 0);
  CHECK(v.tickets_valid == 0);
}

TEST_CASE("after kill -9 the box office finishes a paid order without tickets by itself") {
  sg::test::temp_dir tmp{"seatgrab-http-saga-crash-"};
  auto dir = tmp / "data";
  fan_set f;
  std::string checkout_target;
  const std::string card = json{{"card", "4242424242424242"}}.dump();
  {
    // The box office stops right after journaling its 4th saga step (started, authorized,
    // seats_confirmed, captured): paid, seats sold, no tickets yet. Then the node is killed.
    sg::test::server_process srv{SEATGRAB_BIN,
                                 dir,
                                 sg::test::admin_token,
                                 {},
                                 {"SEATGRAB_TEST_BOX_OFFICE_CRASH_AFTER_WRITES=4"}};
    sg::test::crash::add_event(srv.port, 300);
    f = sg::test::crash::admitted_fans(srv.port, 1);
    sg::test::http_client c{srv.port};
    auto hold = c.with_token(f.tokens[0], "POST", "/v1/events/gig/holds",
                             json{{"seats", {"A-1-1", "A-1-2"}}}.dump(),
                             {{"X-Admission-Token", f.admissions[0]}});
    REQUIRE_MESSAGE(hold.result_int() == 201, hold.body());
    checkout_target =
        "/v1/holds/" + json::parse(hold.body())["id"].get<std::string>() + "/checkout";
    // No answer but an error (the call times out): the order is not final.
    auto res = c.with_token(f.tokens[0], "POST", checkout_target, card, {{"Idempotency-Key", "k"}});
    CHECK_MESSAGE(res.result_int() >= 500, res.body());
    srv.kill9();
  }
  {
    // What the restart finds: the order captured, no tickets issued.
    auto db = sg::persistence::store::open({dir, sg::persistence::durability::fsync});
    REQUIRE(db);
    auto log = (*db)->load("checkout", "gig");
    REQUIRE(log);
    REQUIRE(log->tail.size() == 4);
    sg::pb::checkout_event last;
    REQUIRE(last.ParseFromString(log->tail.back().second));
    CHECK(last.has_captured());
    auto tickets = (*db)->load("ticket", "gig");
    REQUIRE(tickets);
    CHECK(tickets->tail.empty());
  }
  json issued;
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    sg::test::http_client c{srv.port};
    // No client touches the order: reading the fan's tickets until they appear.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while ((issued = tickets_of(c, f.tokens[0])).size() < 2 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{50}); // polling a live node
    REQUIRE_MESSAGE(issued.size() == 2, "the box office did not finish the order: " << issued);
    for (const auto& t : issued)
      CHECK(t["status"] == "valid");
    auto seats = sg::test::crash::seat_status(c);
    CHECK(seats.at("A-1-1") == "sold");
    CHECK(seats.at("A-1-2") == "sold");
    // The client's retry with its key now meets the finished order: the same tickets.
    auto res = c.with_token(f.tokens[0], "POST", checkout_target, card, {{"Idempotency-Key", "k"}});
    REQUIRE_MESSAGE(res.result_int() == 201, res.body());
    auto order = json::parse(res.body());
    CHECK(order["state"] == "completed");
    CHECK(order["order_id"] == issued[0]["order_id"]);
    std::set<std::string> codes, retried;
    for (const auto& t : issued)
      codes.insert(t["code"].get<std::string>());
    for (const auto& t : order["tickets"])
      retried.insert(t["code"].get<std::string>());
    CHECK(codes == retried);
  }
  auto v = sg::test::crash::verify_dir(dir, sg::test::crash::now_ms() - 2000, true);
  CHECK_MESSAGE(v.ok(), sg::test::crash::describe(v));
  CHECK(v.seats_sold == 2);
  CHECK(v.tickets_valid == 2);
}

TEST_CASE("a kill after a transfer or refund is durable but before its answer is stored: the "
          "retry with the key gets the same answer and there is one effect") {
  sg::test::temp_dir tmp{"seatgrab-http-answer-crash-"};
  auto dir = tmp / "data";
  fan_set f;
  std::string ticket, seller, buyer, transfer_target, refund_target, given, refunded;
  const std::string transfer_body = json{{"to", "f1@example.com"}}.dump();
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    sg::test::crash::add_event(srv.port, 300);
    f = sg::test::crash::admitted_fans(srv.port, 2);
    sg::test::http_client c{srv.port};
    auto hold =
        c.with_token(f.tokens[0], "POST", "/v1/events/gig/holds", json{{"seats", {"A-1-1"}}}.dump(),
                     {{"X-Admission-Token", f.admissions[0]}});
    REQUIRE_MESSAGE(hold.result_int() == 201, hold.body());
    auto paid =
        c.with_token(f.tokens[0], "POST",
                     "/v1/holds/" + json::parse(hold.body())["id"].get<std::string>() + "/checkout",
                     json{{"card", "4242424242424242"}}.dump(), {{"Idempotency-Key", "pay"}});
    REQUIRE_MESSAGE(paid.result_int() == 201, paid.body());
    auto order = json::parse(paid.body());
    ticket = order["tickets"][0]["id"];
    seller = order["tickets"][0]["owner"];
    transfer_target = "/v1/tickets/" + ticket + "/transfer";
    auto res = c.with_token(f.tokens[0], "POST", transfer_target, transfer_body,
                            {{"Idempotency-Key", "give"}});
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    given = res.body();
    buyer = json::parse(given)["owner"];
  }
  lose_stored_answer(dir, seller, transfer_target, "give");
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    sg::test::http_client c{srv.port};
    auto res = c.with_token(f.tokens[0], "POST", transfer_target, transfer_body,
                            {{"Idempotency-Key", "give"}});
    CHECK_MESSAGE(res.result_int() == 200, res.body());
    CHECK_MESSAGE(res.body() == given, "the retry answered otherwise than the lost reply");
    // One transfer: the recipient holds version 2.
    CHECK(tickets_of(c, f.tokens[0]).empty());
    auto theirs = tickets_of(c, f.tokens[1]);
    REQUIRE(theirs.size() == 1);
    CHECK(theirs[0]["version"] == 2);
    CHECK(theirs[0]["status"] == "valid");
    refund_target = "/v1/tickets/" + ticket + "/refund";
    res = c.with_token(f.tokens[1], "POST", refund_target, "", {{"Idempotency-Key", "back"}});
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    refunded = res.body();
  }
  lose_stored_answer(dir, buyer, refund_target, "back");
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    sg::test::http_client c{srv.port};
    auto res = c.with_token(f.tokens[1], "POST", refund_target, "", {{"Idempotency-Key", "back"}});
    CHECK_MESSAGE(res.result_int() == 200, res.body());
    CHECK_MESSAGE(res.body() == refunded, "the retry answered otherwise than the lost reply");
    // The same key on another request of the same ticket is still not a replay of it.
    res = c.with_token(f.tokens[1], "POST", transfer_target, json{{"to", "f0@example.com"}}.dump(),
                       {{"Idempotency-Key", "back"}});
    CHECK_MESSAGE(res.result_int() == 409, res.body()); // ticket_refunded
  }
  // One refund: the verifier matches the payment's refunds with the tickets' refunds.
  auto v = sg::test::crash::verify_dir(dir, sg::test::crash::now_ms() - 2000, true);
  CHECK_MESSAGE(v.ok(), sg::test::crash::describe(v));
  CHECK(v.seats_sold == 0);
  CHECK(v.tickets_valid == 0);
}

TEST_CASE("a kill between a hold's write in the section and the reply: the fan's hold is kept, "
          "and can be bought by its id or found again by its key") {
  sg::test::temp_dir tmp{"seatgrab-http-hold-crash-"};
  auto dir = tmp / "data";
  fan_set f;
  const std::string target = "/v1/events/gig/holds";
  const std::string keyless = json{{"seats", {"A-1-1", "B-1-1"}}}.dump();
  const std::string keyed = json{{"seats", {"A-1-2"}}}.dump();
  std::string lost_keyless, lost_keyed;
  {
    sg::test::server_process srv{
        SEATGRAB_BIN, dir, sg::test::admin_token, {}, {kill_before_reply + "/holds"}};
    sg::test::crash::add_event(srv.port, 300);
    f = sg::test::crash::admitted_fans(srv.port, 1);
    sg::test::http_client c{srv.port};
    CHECK_THROWS(c.with_token(f.tokens[0], "POST", target, keyless,
                              {{"X-Admission-Token", f.admissions[0]}}));
    lost_keyless = lost_answer(srv, target);
  }
  lose_hold_records(dir, json::parse(lost_keyless)["id"], target, "");
  {
    sg::test::server_process srv{
        SEATGRAB_BIN, dir, sg::test::admin_token, {}, {kill_before_reply + "/holds"}};
    sg::test::http_client c{srv.port};
    CHECK_THROWS(
        c.with_token(f.tokens[0], "POST", target, keyed,
                     {{"X-Admission-Token", f.admissions[0]}, {"Idempotency-Key", "h-2"}}));
    lost_keyed = lost_answer(srv, target);
  }
  lose_hold_records(dir, json::parse(lost_keyed)["id"], target, "h-2");
  {
    sg::test::server_process srv{SEATGRAB_BIN, dir, sg::test::admin_token};
    sg::test::http_client c{srv.port};
    // The retry with the key: the session found the hold in the sections' notes.
    auto again = c.with_token(f.tokens[0], "POST", target, keyed,
                              {{"X-Admission-Token", f.admissions[0]}, {"Idempotency-Key", "h-2"}});
    CHECK_MESSAGE(again.result_int() == 201, again.body());
    CHECK(again["Idempotent-Replayed"] == "true");
    CHECK_MESSAGE(again.body() == lost_keyed, "the retry answered otherwise than the lost reply");
    // Both holds are the fan's to buy, by the ids the lost answers gave.
    for (const auto& lost : {lost_keyless, lost_keyed}) {
      auto id = json::parse(lost)["id"].get<std::string>();
      auto paid = c.with_token(f.tokens[0], "POST", "/v1/holds/" + id + "/checkout",
                               json{{"card", "4242424242424242"}}.dump(),
                               {{"Idempotency-Key", "pay-" + id}});
      CHECK_MESSAGE(paid.result_int() == 201, paid.body());
    }
    auto seats = sg::test::crash::seat_status(c);
    CHECK(seats.at("A-1-1") == "sold");
    CHECK(seats.at("B-1-1") == "sold");
    CHECK(seats.at("A-1-2") == "sold");
    CHECK(tickets_of(c, f.tokens[0]).size() == 3);
  }
  auto v = sg::test::crash::verify_dir(dir, sg::test::crash::now_ms() - 2000, true);
  CHECK_MESSAGE(v.ok(), sg::test::crash::describe(v));
  CHECK(v.seats_sold == 3);
  CHECK(v.tickets_valid == 3);
}
