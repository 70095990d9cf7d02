// Child process of the inventory crash test: a hold-and-confirm storm on a durable node.
// Prints "H <hold> <section> <seat,...>" for every acknowledged hold, "S <hold>" for every
// acknowledged sale, "r <hold>" before refunding a sale's seats and "R <hold>" once all are
// refunded (refunds keep seats flowing over many cycles), and runs until the parent kills it
// with SIGKILL.
//
// usage: inventory_storm DIR TAG

#include "cluster/node.hpp"
#include "domain/venue.hpp"
#include "messages/ec.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <unistd.h>

namespace sg = seatgrab;

namespace {

void say(const std::string& line) {
  // One write per line: a pipe keeps writes below PIPE_BUF whole.
  if (write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    std::_Exit(5); // the parent is gone
}

struct client_state {
  client_state() = default;
  std::mt19937_64 rng;
  uint64_t n = 0;
};

// One fan: hold 1..3 random seats of one section, confirm half of the holds, repeat.
void next(caf::stateful_actor<client_state>* self, std::shared_ptr<const sg::domain::venue> v,
          std::vector<sg::section_actor> sections, std::string prefix) {
  auto& rng = self->state.rng;
  auto sec = rng() % v->sections.size();
  const auto& s = v->sections[sec];
  std::set<std::string> picked;
  auto want = 1 + rng() % 3;
  while (picked.size() < want) {
    const auto& r = s.rows[rng() % s.rows.size()];
    picked.insert(r.seats[rng() % r.seats.size()].id);
  }
  auto hold_id = prefix + "-" + std::to_string(++self->state.n);
  sg::hold_request req{hold_id, prefix, {picked.begin(), picked.end()}, {}, 0, {}, {}};
  auto hdl = sections[sec];
  bool confirm = rng() % 2 == 0;
  self->request(hdl, std::chrono::seconds{30}, sg::atom::hold_v, req)
      .then(
          [=](sg::hold_part& part) {
            std::string seats;
            for (const auto& sp : part.seats)
              seats += (seats.empty() ? "" : ",") + sp.seat;
            say("H " + hold_id + " " + part.section + " " + seats + "\n");
            if (!confirm) {
              next(self, v, sections, prefix);
              return;
            }
            auto order = "o-" + hold_id;
            self->request(hdl, std::chrono::seconds{30}, sg::atom::confirm_v, hold_id, prefix,
                          order)
                .then(
                    [=](sg::sale_receipt& sale) {
                      say("S " + hold_id + "\n");
                      if (self->state.rng() % 4 == 0) {
                        next(self, v, sections, prefix);
                        return;
                      }
                      say("r " + hold_id + "\n");
                      auto left = std::make_shared<size_t>(sale.seats.size());
                      for (const auto& sp : sale.seats)
                        self->request(hdl, std::chrono::seconds{30}, sg::atom::refund_v, sp.seat,
                                      order)
                            .then(
                                [=] {
                                  if (--*left == 0) {
                                    say("R " + hold_id + "\n");
                                    next(self, v, sections, prefix);
                                  }
                                },
                                [](caf::error& err) {
                                  std::fprintf(stderr, "refund failed: %s\n",
                                               sg::render(err).c_str());
                                  std::_Exit(6);
                                });
                    },
                    [=](caf::error&) { next(self, v, sections, prefix); });
          },
          [=](caf::error&) { next(self, v, sections, prefix); });
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: inventory_storm DIR TAG\n");
    return 2;
  }
  std::string tag = argv[2];
  auto v = std::make_shared<const sg::domain::venue>(sg::domain::generate_stadium({10, 10, 20}));
  auto wall =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto die = [](const std::string& what, const caf::error& err) {
    std::fprintf(stderr, "inventory_storm: %s: %s\n", what.c_str(), sg::render(err).c_str());
    std::_Exit(3);
  };
  auto started = sg::cluster::node::start({argv[1],
                                           sg::persistence::durability::fsync,
                                           4,
                                           sg::domain::time_point{wall.time_since_epoch()},
                                           {}});
  if (!started)
    die("start", started.error());
  auto& node = **started;
  if (auto id = node.call<std::string>(node.catalog(), sg::atom::put_v, sg::atom::venue_v,
                                       sg::domain::to_json(*v));
      !id)
    die("venue", id.error());
  sg::event_info info{"storm", v->id, "Storm", 0, 300, 600, 4, 8};
  if (auto id = node.call<std::string>(node.catalog(), sg::atom::put_v, info); !id)
    die("event", id.error());
  std::vector<sg::section_actor> sections;
  for (const auto& s : v->sections) {
    auto hdl = node.call<sg::section_actor>(node.registry(), sg::atom::get_v, sg::atom::section_v,
                                            info.id, s.id);
    if (!hdl)
      die("section", hdl.error());
    sections.push_back(*hdl);
  }
  for (int c = 0; c < 16; ++c) {
    auto prefix = tag + "c" + std::to_string(c);
    node.sys().spawn([=](caf::stateful_actor<client_state>* self) {
      self->state.rng.seed(std::hash<std::string>{}(prefix));
      next(self, v, sections, prefix);
    });
  }
  for (;;)
    pause();
}
