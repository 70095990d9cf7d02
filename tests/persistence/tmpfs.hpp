#pragma once

// A tmpfs of a few megabytes mounted for a test (it needs root, as in CI) and unmounted when
// it goes out of scope, even when the test fails; and a filler file to make it full quickly.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <sys/mount.h>

namespace seatgrab::test {

/// A tmpfs of `size` mounted at `dir` (created) while this lives. `mounted` is false, with
/// `why`, where mounting is not allowed (not root).
struct tmpfs_mount {
  std::filesystem::path dir;
  bool mounted = false;
  std::string why;

  tmpfs_mount(std::filesystem::path where, const std::string& size) : dir(std::move(where)) {
    std::filesystem::create_directories(dir);
    auto opts = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0)
      mounted = true;
    else
      why = "cannot mount a tmpfs at " + dir.string() + ": " + std::strerror(errno) +
            " (the test needs root)";
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;
  ~tmpfs_mount() {
    if (mounted)
      ::umount2(dir.c_str(), MNT_DETACH);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

/// Fills the file system of `dir` with a file `name` until `leave` bytes are left free.
inline std::filesystem::path fill(const std::filesystem::path& dir, uint64_t leave,
                                  const std::string& name = "filler") {
  auto path = dir / name;
  auto space = std::filesystem::space(dir);
  uint64_t size = space.available > leave ? space.available - leave : 0;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr)
    return path;
  std::string block(1 << 16, '\0');
  while (size > 0) {
    auto n = std::min<uint64_t>(size, block.size());
    if (std::fwrite(block.data(), 1, n, f) != n)
      break;
    size -= n;
  }
  std::fclose(f);
  return path;
}

} // namespace seatgrab::test
