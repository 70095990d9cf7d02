// Child process of the crash tests: appends to K entities as fast as the journal allows and
// writes "entity seq\n" to stdout for every acknowledged (durable) append. It never stops by
// itself; the parent kills it with SIGKILL at a random moment.

#include "messages/ec.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

namespace pst = seatgrab::persistence;

std::string crash_payload(int entity, uint64_t seq) {
  auto text = "e" + std::to_string(entity) + ":" + std::to_string(seq) + ":";
  text.resize(100, '.');
  return text;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_appender DIR ENTITIES\n");
    return 2;
  }
  auto entities = std::stoi(argv[2]);
  auto db = pst::store::open({argv[1], pst::durability::fsync});
  if (!db) {
    std::fprintf(stderr, "crash_appender: %s\n", seatgrab::render(db.error()).c_str());
    return 3;
  }
  std::vector<uint64_t> seqs;
  for (int i = 0; i < entities; ++i) {
    auto log = (*db)->load("crash", "e" + std::to_string(i));
    if (!log) {
      std::fprintf(stderr, "crash_appender: %s\n", seatgrab::render(log.error()).c_str());
      return 3;
    }
    seqs.push_back(log->last_seq());
  }
  pst::group_commit writer{**db};
  std::function<void(int)> next = [&](int i) {
    auto seq = ++seqs[static_cast<size_t>(i)];
    pst::write_set ws;
    ws.append("crash", "e" + std::to_string(i), seq, crash_payload(i, seq));
    writer.submit(std::move(ws), [&, i, seq](const caf::error& err) {
      if (err) {
        std::fprintf(stderr, "crash_appender: %s\n", seatgrab::render(err).c_str());
        std::_Exit(4);
      }
      char line[48];
      auto n =
          std::snprintf(line, sizeof(line), "%d %llu\n", i, static_cast<unsigned long long>(seq));
      if (write(STDOUT_FILENO, line, static_cast<size_t>(n)) != n)
        std::_Exit(5); // the parent is gone
      next(i);
    });
  };
  for (int i = 0; i < entities; ++i)
    next(i);
  for (;;)
    pause();
}
