#include "app/serve.hpp"

#include "messages/ec.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"

#include <spdlog/spdlog.h>

#include <csignal>

namespace seatgrab::app {

int serve(const serve_options& opts) {
  // Block the stop signals before any thread starts, so that every thread inherits the mask
  // and only the sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto db = persistence::store::open({opts.data_dir, opts.durability});
  if (!db) {
    spdlog::error("{}", render(db.error()));
    return 1;
  }
  // Every record is checked before the node takes traffic: a corrupted journal stops start-up.
  auto checked = (*db)->verify();
  if (!checked) {
    spdlog::error("data dir {}: {}", opts.data_dir.string(), render(checked.error()));
    return 1;
  }
  persistence::group_commit writer{**db};
  spdlog::info("data dir {} open, {} entities recovered, durability {}", opts.data_dir.string(),
               *checked, persistence::to_string(opts.durability));
  spdlog::warn("the HTTP edge is not built yet: nothing listens on {}", opts.listen);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {} received, flushing the journal and stopping", sig);
  writer.flush();
  return 0;
}

} // namespace seatgrab::app
