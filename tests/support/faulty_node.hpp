#pragma once

// The actors' side of a disk that fails on demand: a store on disk behind a fault-injecting
// RocksDB environment (`fe.sw->fail_append`, ...), an inline journal writer that retries only
// when told (`writer.try_recover()`), CAF's test coordinator and the context actors get. No
// registry: a test spawns the actors it needs. The directory goes with the fixture.

#include "actors/context.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"
#include "tests/persistence/fault_fs.hpp"
#include "tests/support/test_system.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

namespace seatgrab::test {

struct faulty_node {
  /// Starts on the empty directory `name`-<pid> in the temporary directory, its clock at
  /// `wall`.
  explicit faulty_node(const std::string& name, domain::time_point wall = {})
      : dir(name), db(open(dir.path, fe.env.get())),
        ctx(std::make_shared<actors::actor_context>(actors::actor_context{
            db.get(), &writer, actors::wall_clock{ts.sys().clock().now(), wall}, nullptr})) {}

  /// Removed when the fixture goes, after everything that used it.
  struct scratch_dir {
    explicit scratch_dir(const std::string& name)
        : path(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
      std::filesystem::remove_all(path);
    }
    ~scratch_dir() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
  };

  scratch_dir dir;
  fault_env fe;
  std::unique_ptr<persistence::store> db;
  persistence::group_commit writer{*db, false, std::chrono::hours{1}};
  test_system ts;
  actors::context_ptr ctx;

private:
  static std::unique_ptr<persistence::store> open(const std::filesystem::path& dir,
                                                  rocksdb::Env* env) {
    auto db = persistence::store::open({dir, persistence::durability::fsync, env});
    REQUIRE(db);
    return std::move(*db);
  }
};

} // namespace seatgrab::test
