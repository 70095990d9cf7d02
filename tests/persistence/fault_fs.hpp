#pragma once

// Fault injection below RocksDB: a FileSystem wrapper whose writable files fail their appends
// with ENOSPC, or their syncs with an I/O error, while a test says so.

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace seatgrab::test {

/// Counters and switches shared by a `fault_fs` and its files.
struct fault_switches {
  std::atomic<bool> fail_append{false}; ///< appends fail with ENOSPC, writing nothing
  std::atomic<bool> fail_sync{false};   ///< syncs fail with an I/O error (the data stays)
  std::atomic<uint64_t> injected{0};    ///< faults injected so far
};

/// A writable file that fails as its switches say.
class fault_file : public rocksdb::FSWritableFileOwnerWrapper {
public:
  fault_file(std::unique_ptr<rocksdb::FSWritableFile> f, std::shared_ptr<fault_switches> sw)
      : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), sw_(std::move(sw)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    if (sw_->fail_append)
      return no_space();
    return FSWritableFileOwnerWrapper::Append(data, o, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* dbg) override {
    if (sw_->fail_append)
      return no_space();
    return FSWritableFileOwnerWrapper::Append(data, o, v, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* dbg) override {
    if (sw_->fail_append)
      return no_space();
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (sw_->fail_sync)
      return io_error();
    return FSWritableFileOwnerWrapper::Sync(o, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (sw_->fail_sync)
      return io_error();
    return FSWritableFileOwnerWrapper::Fsync(o, dbg);
  }
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* dbg) override {
    if (sw_->fail_sync)
      return io_error();
    return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, o, dbg);
  }

private:
  rocksdb::IOStatus no_space() {
    ++sw_->injected;
    return rocksdb::IOStatus::NoSpace("injected", "No space left on device");
  }
  rocksdb::IOStatus io_error() {
    ++sw_->injected;
    return rocksdb::IOStatus::IOError("injected", "fsync failed");
  }

  std::shared_ptr<fault_switches> sw_;
};

/// The default file system with `fault_file`s for every file written.
class fault_fs : public rocksdb::FileSystemWrapper {
public:
  explicit fault_fs(std::shared_ptr<fault_switches> sw)
      : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()), sw_(std::move(sw)) {}

  const char* Name() const override { return "seatgrab_fault_fs"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* out,
                                    rocksdb::IODebugContext* dbg) override {
    return wrap(target()->NewWritableFile(name, o, out, dbg), out);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* out,
                                       rocksdb::IODebugContext* dbg) override {
    return wrap(target()->ReopenWritableFile(name, o, out, dbg), out);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* out,
                                      rocksdb::IODebugContext* dbg) override {
    return wrap(target()->ReuseWritableFile(name, old, o, out, dbg), out);
  }

private:
  rocksdb::IOStatus wrap(rocksdb::IOStatus st, std::unique_ptr<rocksdb::FSWritableFile>* out) {
    if (st.ok())
      *out = std::make_unique<fault_file>(std::move(*out), sw_);
    return st;
  }

  std::shared_ptr<fault_switches> sw_;
};

/// The switches, the file system and the Env to pass in `store_options::env`.
struct fault_env {
  std::shared_ptr<fault_switches> sw = std::make_shared<fault_switches>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(std::make_shared<fault_fs>(sw));
};

} // namespace seatgrab::test
