// Two members of a cluster in one process, each with its own actor system, data dir and
// RocksDB, connected over loopback by CAF's middleman (cluster/peering.hpp): an operator's
// write to one member's catalog reaches the other (also one made while it was down), a lookup
// on one member of what the other owns is answered by the owner, the handle works across the
// nodes, and once the owner is gone the lookup is `unavailable` within 5 s, never a guess.

#include "cluster/node.hpp"
#include "cluster/placement.hpp"
#include "domain/event.hpp"
#include "domain/venue_generators.hpp"
#include "domain/venue_json.hpp"
#include "messages/ec.hpp"
#include "tests/support/cluster_file.hpp"
#include "tests/support/eventually.hpp"

#include <caf/send.hpp>
#include <doctest/doctest.h>

#include <filesystem>

namespace sg = seatgrab;
using sg::actors::actor_kind;

namespace {

using sg::test::cluster_member;
using sg::test::free_ports;

std::unique_ptr<sg::cluster::node> start(const std::string& file, const std::string& name,
                                         const std::filesystem::path& dir) {
  auto members = sg::cluster::parse_membership(file, "test-cluster.toml", name);
  REQUIRE(members);
  sg::cluster::node_options opts;
  opts.data_dir = dir;
  opts.durability = sg::persistence::durability::wal; // b comes back on its data dir
  opts.threads = 2;
  opts.cluster = *members;
  opts.peering.retry_max = std::chrono::milliseconds{200};
  auto n = sg::cluster::node::start(opts);
  REQUIRE_MESSAGE(n, sg::render(n));
  return std::move(*n);
}

int64_t peers_up(sg::cluster::node& n) {
  auto st = n.call<sg::actor_status>(n.registry(), sg::atom::status_v);
  return st ? st->counter("peers_up") : -1;
}

bool has_event(sg::cluster::node& n, const std::string& id) {
  auto events =
      n.call<std::vector<sg::event_info>>(n.catalog(), sg::atom::get_v, sg::atom::events_v);
  if (!events)
    return false;
  for (const auto& ev : *events)
    if (ev.id == id)
      return true;
  return false;
}

/// Adds the small generated theatre and event `id` to `n`'s catalog, from where it reaches
/// every member's.
void add_event(sg::cluster::node& n, const sg::domain::venue& v, const std::string& id) {
  auto venue_id =
      n.call<std::string>(n.catalog(), sg::atom::put_v, sg::atom::venue_v, sg::domain::to_json(v));
  REQUIRE_MESSAGE(venue_id, sg::render(venue_id));
  sg::event_info ev;
  ev.id = id;
  ev.venue_id = *venue_id;
  ev.name = "The Gig";
  auto added = n.call<std::string>(n.catalog(), sg::atom::put_v, ev);
  REQUIRE_MESSAGE(added, sg::render(added));
}

} // namespace

TEST_CASE("a member answers lookups of what another owns through the owner, until it is gone") {
  auto root = std::filesystem::temp_directory_path() / "seatgrab-peering-test";
  std::filesystem::remove_all(root);
  auto port = free_ports(4);
  auto file = cluster_member("a", port[0], port[1]) + cluster_member("b", port[2], port[3]);
  auto a = start(file, "a", root / "a");
  auto b = start(file, "b", root / "b");
  REQUIRE(sg::test::eventually([&] { return peers_up(*a) == 1 && peers_up(*b) == 1; }));
  // A join that names no member of the cluster file is ignored (its map stays bounded).
  caf::anon_send(a->registry(), sg::atom::join_v, std::string{"mallory"},
                 caf::actor_cast<caf::actor>(b->registry()));
  CHECK(peers_up(*a) == 1);
  auto venue = sg::domain::generate_theatre();
  // An operator's write through one member reaches the other's catalog.
  add_event(*a, venue, "gig");
  REQUIRE(sg::test::eventually([&] { return has_event(*b, "gig"); }));

  // One section each member owns.
  sg::cluster::rendezvous placement{{"a", "b"}, "a"};
  std::string on_a, on_b;
  for (const auto& sec : venue.sections) {
    auto owner = placement.owner(actor_kind::section, sg::domain::section_entity("gig", sec.id));
    (owner == "a" ? on_a : on_b) = sec.id;
  }
  REQUIRE_FALSE(on_a.empty());
  REQUIRE_FALSE(on_b.empty());

  // Asked of a: b's section comes from b and answers across the nodes.
  auto remote = a->call<sg::section_actor>(a->registry(), sg::atom::get_v, sg::atom::section_v,
                                           std::string{"gig"}, on_b);
  REQUIRE_MESSAGE(remote, sg::render(remote));
  CHECK(remote->node() != a->sys().node());
  CHECK(remote->node() == b->sys().node());
  auto st = a->call<sg::actor_status>(*remote, sg::atom::status_v);
  REQUIRE_MESSAGE(st, sg::render(st));
  CHECK(st->id == sg::domain::section_entity("gig", on_b));
  // a's own section is a's.
  auto local = a->call<sg::section_actor>(a->registry(), sg::atom::get_v, sg::atom::section_v,
                                          std::string{"gig"}, on_a);
  REQUIRE(local);
  CHECK(local->node() == a->sys().node());
  // The event's actors live together, on one member, and are found from both.
  auto home = placement.owner(actor_kind::event, "gig");
  auto ev = b->call<sg::event_actor>(b->registry(), sg::atom::get_v, sg::atom::event_v,
                                     std::string{"gig"});
  REQUIRE_MESSAGE(ev, sg::render(ev));
  CHECK(ev->node() == (home == "a" ? a : b)->sys().node());

  // b goes: a's lookups of b's entities are unavailable within 5 s, a's own still answer.
  remote = caf::expected<sg::section_actor>{sg::section_actor{}};
  st = sg::actor_status{};
  b.reset();
  auto gone = std::chrono::steady_clock::now();
  REQUIRE(sg::test::eventually([&] {
    auto x = a->call<sg::section_actor>(a->registry(), sg::atom::get_v, sg::atom::section_v,
                                        std::string{"gig"}, on_b);
    return !x && sg::ec_of(x.error()) == sg::ec::unavailable;
  }));
  CHECK(std::chrono::steady_clock::now() - gone < std::chrono::seconds{5});
  CHECK(a->call<sg::section_actor>(a->registry(), sg::atom::get_v, sg::atom::section_v,
                                   std::string{"gig"}, on_a));

  // An event added while b is down reaches b when it is back on its data dir; a finds b
  // again without a restart.
  add_event(*a, venue, "encore");
  b = start(file, "b", root / "b");
  REQUIRE(sg::test::eventually([&] { return peers_up(*a) == 1; }));
  REQUIRE(sg::test::eventually([&] { return has_event(*b, "encore"); }));
  auto again = a->call<sg::section_actor>(a->registry(), sg::atom::get_v, sg::atom::section_v,
                                          std::string{"gig"}, on_b);
  REQUIRE_MESSAGE(again, sg::render(again));
  CHECK(again->node() == b->sys().node());
  b.reset();
  a.reset();
  std::filesystem::remove_all(root);
}
