#pragma once

// The browser front end's files (web/, DESIGN §11), built into the binary and served from
// memory: the pages at their own paths ("/" is web/index.html, "/ops" web/ops.html), every
// other file under "/web/<version>/", where the version is a hash of all of them. A page names
// its files through "{{web}}" (replaced by "/web/<version>"), so a file's address changes with
// any change to the front end and can be cached for a year; the pages themselves are
// revalidated (ETag). Files of text are kept gzipped too, for clients that accept it.

#include "http/server.hpp"

#include <map>
#include <span>
#include <string>
#include <string_view>

namespace seatgrab::http {

/// One file of the front end: its path under web/ and its bytes.
struct web_file {
  std::string_view name;
  std::string_view bytes;
};

class web_files {
public:
  /// The Content-Security-Policy of every page and file: scripts, styles, workers and connections
  /// from this origin only, no inline script or style, no framing.
  static constexpr std::string_view content_security_policy =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; "
      "form-action 'self'; frame-ancestors 'none'";

  /// The files of `files`; "index.html" and "ops.html" are the pages.
  explicit web_files(std::span<const web_file> files);

  /// The front end built into this binary (web/ at build time).
  static const web_files& built_in();

  /// Whether `path` (without its query) is the front end's to answer.
  [[nodiscard]] bool owns(std::string_view path) const;

  /// The answer to `req` for `path`: the file (gzipped when accepted), 304 when the client's
  /// copy is current, a 404 problem for a file that is not there (an old version's included),
  /// 405 for a method other than GET.
  [[nodiscard]] response answer(const request& req, std::string_view path) const;

  /// The hash that names this build of the front end (12 hex digits).
  [[nodiscard]] const std::string& version() const noexcept { return version_; }

private:
  struct entry {
    std::string type;
    std::string body;
    std::string gzipped; ///< empty when gzip does not make it smaller
    std::string etag;
    bool page = false;
  };

  std::map<std::string, entry, std::less<>> by_path_;
  std::string version_;
};

} // namespace seatgrab::http
