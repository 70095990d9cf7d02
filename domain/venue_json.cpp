// The venue's JSON form: a strict reader whose errors name the file and the JSON path of the
// offending field, the writer, and file loading.
#include "domain/venue_json.hpp"

#include "messages/ec.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <system_error>
#include <unordered_map>

namespace seatgrab::domain {

namespace {

using json = nlohmann::json;

constexpr auto replace_bad_utf8 = json::error_handler_t::replace;

// -- text for messages --------------------------------------------------------

// `s` as a JSON string literal; long input is cut so one bad field cannot flood a log.
std::string quote(std::string_view s) {
  constexpr size_t limit = 80;
  auto text = json(std::string{s.substr(0, limit)}).dump(-1, ' ', false, replace_bad_utf8);
  if (s.size() > limit)
    text += "...";
  return text;
}

// A value as a message shows it after "got": scalars verbatim, containers by kind.
std::string describe(const json& j) {
  switch (j.type()) {
  case json::value_t::string:
    return "a string";
  case json::value_t::array:
    return "an array";
  case json::value_t::object:
    return "an object";
  default:
    return j.dump();
  }
}

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// ".key", or `["odd key"]` when the key is not a plain word, so that a path stays unambiguous.
std::string key_segment(std::string_view key) {
  auto plain = !key.empty() && key.size() <= max_id_length &&
               std::all_of(key.begin(), key.end(), [](char c) { return is_alnum(c) || c == '_'; });
  if (plain)
    return "." + std::string{key};
  return "[" + quote(key) + "]";
}

std::string index_segment(size_t index) {
  return "[" + std::to_string(index) + "]";
}

// "sections[3].id" rather than ".sections[3].id"; "$" for the document itself.
std::string printable(std::string_view path) {
  if (path.empty())
    return "$";
  if (path.front() == '.')
    path.remove_prefix(1);
  return std::string{path};
}

// Levenshtein distance, to suggest the field a typo meant.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean "accessible"?)" when a known field is a likely typo of `key`: one edit away,
// or two for longer keys.
std::string suggestion(std::string_view key, std::initializer_list<std::string_view> known) {
  if (key.size() > 32)
    return {};
  auto best = key.size() < 5 ? size_t{1} : size_t{2};
  std::string_view closest;
  for (auto candidate : known)
    if (auto d = edit_distance(key, candidate); d <= best) {
      best = d;
      closest = candidate;
    }
  return closest.empty() ? std::string{} : " (did you mean " + quote(closest) + "?)";
}

// -- syntax -------------------------------------------------------------------

// Builds the document as nlohmann's own parser would, but keeps track of where it is, so that a
// syntax error names its JSON path as well as its byte; and refuses duplicate keys, which
// nlohmann would silently collapse into the last one.
class document_builder final : public nlohmann::json_sax<json> {
public:
  bool null() override { return add(nullptr); }
  bool boolean(bool x) override { return add(x); }
  bool number_integer(number_integer_t x) override { return add(x); }
  bool number_unsigned(number_unsigned_t x) override { return add(x); }
  bool number_float(number_float_t x, const string_t&) override { return add(x); }
  bool string(string_t& x) override { return add(std::move(x)); }
  bool binary(binary_t&) override { // JSON text has no binary values.
    error_ = path() + ": not valid JSON: binary value";
    return false;
  }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_array() override { return close(); }

  bool key(string_t& key) override {
    auto& top = frames_.back();
    top.key = std::move(key);
    top.keyed = true;
    return true;
  }

  bool parse_error(std::size_t byte, const std::string&, const json::exception& ex) override {
    // nlohmann refuses literals like 1e999 that overflow to infinity (out_of_range.406).
    std::string what = ex.what();
    if (auto pos = what.find("] "); pos != std::string::npos)
      what.erase(0, pos + 2); // "[json.exception.parse_error.101] "
    error_ = path() + (ex.id == 406 ? ": not a finite number" : ": not valid JSON") + " at byte " +
             std::to_string(byte) + ": " + what;
    return false;
  }

  const json& document() const { return root_; }

  /// "<path>: <reason>" of the syntax error that stopped the parser.
  const std::string& error() const { return error_; }

private:
  struct frame {
    json* node;
    std::string key; // The last key read, when `node` is an object.
    bool keyed = false;
  };

  // Places a value where the parser is: the root, the next element, or the member just keyed.
  // Returns nullptr and sets the error if the key is already taken.
  json* place(json value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    auto& top = frames_.back();
    if (top.node->is_array()) {
      top.node->push_back(std::move(value));
      return &top.node->back();
    }
    auto [it, fresh] = top.node->emplace(top.key, std::move(value));
    if (!fresh) {
      error_ = path() + ": duplicate key " + quote(top.key);
      return nullptr;
    }
    return &it.value();
  }

  bool add(json value) { return place(std::move(value)) != nullptr; }

  bool open(json container) {
    auto* node = place(std::move(container));
    if (node == nullptr)
      return false;
    frames_.push_back(frame{node, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  // Where the parser is. An open container below the top already holds the element being read,
  // the top one not yet.
  std::string path() const {
    std::string result;
    for (size_t i = 0; i < frames_.size(); ++i) {
      const auto& f = frames_[i];
      if (f.node->is_array())
        result += index_segment(f.node->size() - (i + 1 < frames_.size() ? 1 : 0));
      else if (f.keyed)
        result += key_segment(f.key);
    }
    return printable(result);
  }

  json root_;
  std::vector<frame> frames_;
  std::string error_;
};

// -- validation ---------------------------------------------------------------

// The rules in the order they are checked. A document breaking several is reported for the
// earliest rule, and for one rule at the first place in document order, so that the report
// does not depend on how the file happens to be arranged.
enum class rule : uint8_t {
  shape, // missing or wrong-typed field
  id_format,
  unknown_field,
  price,
  duplicate_tier,
  duplicate_section,
  unknown_tier,
  duplicate_row,
  duplicate_seat,
  duplicate_number,
  empty,
  finite,
  too_many_seats,
};

enum class presence { required, optional };

// Walks a parsed document into a venue, tracking the JSON path, and keeps the error to report.
// It does not stop at the first violation: one of an earlier rule may come later in the file.
class venue_reader {
public:
  explicit venue_reader(std::string_view source) : source_(source) {}

  caf::expected<venue> read(const json& doc) {
    venue v;
    if (!doc.is_object())
      report(rule::shape, "the document must be an object, got " + describe(doc));
    else
      v = read_venue(doc);
    if (rule_)
      return caf::make_error(ec::invalid_input, std::move(message_));
    return v;
  }

private:
  // Extends the path by one segment for as long as it lives.
  class [[nodiscard]] step {
  public:
    step(std::string& path, std::string_view segment) : path_(path), size_(path.size()) {
      path_ += segment;
    }
    ~step() { path_.resize(size_); }
    step(const step&) = delete;
    step& operator=(const step&) = delete;

  private:
    std::string& path_;
    size_t size_;
  };

  step at(std::string_view key) { return step{path_, key_segment(key)}; }
  step at(size_t index) { return step{path_, index_segment(index)}; }

  // Records a violation at the current path, unless an earlier one takes precedence.
  void report(rule r, std::string reason) {
    if (rule_ && *rule_ <= r)
      return;
    rule_ = r;
    message_ = source_ + ": " + printable(path_) + ": " + reason;
  }

  // -- fields -----------------------------------------------------------------

  enum class kind { string, number, uint32, boolean, array };

  static bool has_kind(const json& j, kind k) {
    switch (k) {
    case kind::string:
      return j.is_string();
    case kind::number:
      return j.is_number();
    case kind::uint32:
      return j.is_number_unsigned() && j.get<uint64_t>() <= std::numeric_limits<uint32_t>::max();
    case kind::boolean:
      return j.is_boolean();
    case kind::array:
      return j.is_array();
    }
    return false;
  }

  static std::string_view name(kind k) {
    switch (k) {
    case kind::string:
      return "a string";
    case kind::number:
      return "a number";
    case kind::uint32:
      return "an integer from 0 to 4294967295";
    case kind::boolean:
      return "true or false";
    case kind::array:
      return "an array";
    }
    return "?";
  }

  bool expect_object(const json& j) {
    if (j.is_object())
      return true;
    report(rule::shape, "expected an object, got " + describe(j));
    return false;
  }

  void reject_unknown(const json& obj, std::initializer_list<std::string_view> known) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (std::find(known.begin(), known.end(), it.key()) != known.end())
        continue;
      auto here = at(it.key());
      report(rule::unknown_field, "unknown field" + suggestion(it.key(), known));
    }
  }

  // The member `key` of `obj` if it is of kind `k`; reports a shape violation otherwise, or if
  // it is missing and required.
  const json* member(const json& obj, std::string_view key, kind k,
                     presence p = presence::required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (p == presence::required) {
        auto here = at(key);
        report(rule::shape, "missing required field");
      }
      return nullptr;
    }
    if (!has_kind(*it, k)) {
      auto here = at(key);
      report(rule::shape, "expected " + std::string{name(k)} + ", got " + describe(*it));
      return nullptr;
    }
    return &*it;
  }

  bool read(const json& obj, std::string_view key, std::string& out,
            presence p = presence::required) {
    auto* j = member(obj, key, kind::string, p);
    if (j != nullptr)
      out = j->get_ref<const std::string&>();
    return j != nullptr;
  }

  bool read(const json& obj, std::string_view key, uint32_t& out, presence p = presence::required) {
    auto* j = member(obj, key, kind::uint32, p);
    if (j != nullptr)
      out = static_cast<uint32_t>(j->get<uint64_t>());
    return j != nullptr;
  }

  bool read(const json& obj, std::string_view key, bool& out, presence p = presence::required) {
    auto* j = member(obj, key, kind::boolean, p);
    if (j != nullptr)
      out = j->get<bool>();
    return j != nullptr;
  }

  bool read(const json& obj, std::string_view key, double& out) {
    auto* j = member(obj, key, kind::number);
    if (j == nullptr)
      return false;
    out = j->get<double>();
    // The parser already refuses 1e999; this guards a parser that would not.
    if (!std::isfinite(out)) {
      auto here = at(key);
      report(rule::finite, "not a finite number");
    }
    return true;
  }

  // A string member that must be a valid id; the view points into the document.
  std::optional<std::string_view> read_id(const json& obj, std::string_view key) {
    auto* j = member(obj, key, kind::string);
    if (j == nullptr)
      return std::nullopt;
    std::string_view id = j->get_ref<const std::string&>();
    if (auto why = id_problem(id)) {
      auto here = at(key);
      report(rule::id_format, "invalid id " + quote(id) + ": " + *why);
    }
    return id;
  }

  static std::string shown(std::string_view key) { return quote(key); }
  static std::string shown(uint32_t key) { return std::to_string(key); }

  // Remembers that the element at the current path has `key` in its field `field`; a later
  // element with the same key is reported at its `field`, naming the first.
  template <class Key>
  void unique(std::unordered_map<Key, std::string>& seen, Key key, std::string_view field, rule r,
              std::string_view noun) {
    auto [first, fresh] = seen.try_emplace(key, path_);
    if (fresh)
      return;
    auto here = at(field);
    report(r, "duplicate " + std::string{noun} + " " + shown(key) + " (first at " +
                  printable(first->second) + ")");
  }

  // -- elements ---------------------------------------------------------------

  venue read_venue(const json& j) {
    venue v;
    reject_unknown(j, {"id", "name", "currency", "price_tiers", "sections"});
    if (auto id = read_id(j, "id"))
      v.id = *id;
    read(j, "name", v.name);
    if (read(j, "currency", v.currency, presence::optional)) {
      auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
      if (v.currency.size() != 3 || !std::all_of(v.currency.begin(), v.currency.end(), upper)) {
        auto here = at("currency");
        report(rule::id_format,
               "invalid currency " + quote(v.currency) + ": must be 3 uppercase letters");
      }
    }
    // Tiers first: sections refer to them.
    if (auto* tiers = member(j, "price_tiers", kind::array)) {
      auto here = at("price_tiers");
      for (size_t i = 0; i < tiers->size(); ++i) {
        auto element = at(i);
        v.tiers.push_back(read_tier((*tiers)[i]));
      }
    }
    if (auto* sections = member(j, "sections", kind::array)) {
      auto here = at("sections");
      if (sections->empty())
        report(rule::empty, "the venue has no sections");
      for (size_t i = 0; i < sections->size(); ++i) {
        auto element = at(i);
        v.sections.push_back(read_section((*sections)[i]));
      }
      if (seats_ > max_seats)
        report(rule::too_many_seats, "too many seats: " + std::to_string(seats_) + " (at most " +
                                         std::to_string(max_seats) + ")");
    }
    return v;
  }

  price_tier read_tier(const json& j) {
    price_tier t;
    if (!expect_object(j))
      return t;
    reject_unknown(j, {"id", "name", "price"});
    if (auto id = read_id(j, "id")) {
      t.id = *id;
      unique(tier_ids_, *id, "id", rule::duplicate_tier, "tier id");
    }
    read(j, "name", t.name);
    if (auto* price = member(j, "price", kind::number)) {
      auto here = at("price");
      // Whole minor units only: a float price invites rounding errors in every total.
      auto negative =
          price->is_number_integer() && !price->is_number_unsigned() && price->get<int64_t>() < 0;
      if (!price->is_number_integer())
        report(rule::price, "price must be a whole number of minor units, got " + price->dump());
      else if (negative || price->get<uint64_t>() == 0)
        report(rule::price, "price must be positive, got " + price->dump());
      else if (price->get<uint64_t>() > static_cast<uint64_t>(max_price))
        report(rule::price,
               "price must be at most " + std::to_string(max_price) + ", got " + price->dump());
      else
        t.price = price->get<int64_t>();
    }
    return t;
  }

  section read_section(const json& j) {
    section s;
    if (!expect_object(j))
      return s;
    reject_unknown(j, {"id", "name", "tier", "rows"});
    if (auto id = read_id(j, "id")) {
      s.id = *id;
      unique(section_ids_, *id, "id", rule::duplicate_section, "section id");
    }
    read(j, "name", s.name);
    if (read(j, "tier", s.tier) && !tier_ids_.contains(s.tier)) {
      auto here = at("tier");
      report(rule::unknown_tier, "unknown tier " + quote(s.tier) + " (not in price_tiers)");
    }
    if (auto* rows = member(j, "rows", kind::array)) {
      auto here = at("rows");
      if (rows->empty())
        report(rule::empty, "the section has no rows");
      std::unordered_map<std::string_view, std::string> row_ids;
      for (size_t i = 0; i < rows->size(); ++i) {
        auto element = at(i);
        s.rows.push_back(read_row((*rows)[i], row_ids));
      }
    }
    return s;
  }

  row read_row(const json& j, std::unordered_map<std::string_view, std::string>& row_ids) {
    row r;
    if (!expect_object(j))
      return r;
    reject_unknown(j, {"id", "seats"});
    if (auto id = read_id(j, "id")) {
      r.id = *id;
      unique(row_ids, *id, "id", rule::duplicate_row, "row id");
    }
    if (auto* seats = member(j, "seats", kind::array)) {
      auto here = at("seats");
      if (seats->empty())
        report(rule::empty, "the row has no seats");
      seats_ += seats->size();
      std::unordered_map<uint32_t, std::string> numbers;
      r.seats.reserve(seats->size());
      for (size_t i = 0; i < seats->size(); ++i) {
        auto element = at(i);
        r.seats.push_back(read_seat((*seats)[i], numbers));
      }
    }
    return r;
  }

  seat read_seat(const json& j, std::unordered_map<uint32_t, std::string>& numbers) {
    seat s;
    if (!expect_object(j))
      return s;
    reject_unknown(j, {"id", "number", "x", "y", "accessible", "rank"});
    if (auto id = read_id(j, "id")) {
      s.id = *id;
      unique(seat_ids_, *id, "id", rule::duplicate_seat, "seat id");
    }
    if (read(j, "number", s.number))
      unique(numbers, s.number, "number", rule::duplicate_number, "seat number");
    read(j, "x", s.x);
    read(j, "y", s.y);
    read(j, "accessible", s.accessible, presence::optional);
    read(j, "rank", s.rank, presence::optional);
    return s;
  }

  std::string source_;
  std::string path_;
  std::optional<rule> rule_;
  std::string message_;
  // Ids are views into the document, which outlives the reader; values are first paths.
  std::unordered_map<std::string_view, std::string> tier_ids_;
  std::unordered_map<std::string_view, std::string> section_ids_;
  std::unordered_map<std::string_view, std::string> seat_ids_;
  size_t seats_ = 0;
};

// -- files ------------------------------------------------------------------

struct file_closer {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

caf::expected<std::string> read_file(const std::filesystem::path& path) {
  auto fail = [&path](int err) {
    return caf::make_error(ec::invalid_input, path.string() + ": cannot read file: " +
                                                  std::generic_category().message(err));
  };
  std::unique_ptr<std::FILE, file_closer> file{std::fopen(path.c_str(), "rb")};
  if (!file)
    return fail(errno);
  std::string text;
  char buffer[1 << 16];
  while (auto n = std::fread(buffer, 1, sizeof buffer, file.get()))
    text.append(buffer, n);
  if (std::ferror(file.get()))
    return fail(errno); // e.g. EISDIR
  return text;
}

// -- writing ------------------------------------------------------------------

// A string or number as JSON text; doubles come out in their shortest form that reads back
// equal.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, replace_bad_utf8);
}

// Appends `[...]` with one element per line, indented by `indent` + 2, each written by `write`.
template <class T, class Write>
void append_list(std::string& out, const std::vector<T>& items, size_t indent, Write write) {
  if (items.empty()) {
    out += "[]";
    return;
  }
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    out.append(indent + 2, ' ');
    write(items[i]);
  }
  out += '\n';
  out.append(indent, ' ');
  out += ']';
}

} // namespace

// -- parsing ------------------------------------------------------------------

caf::expected<venue> parse_venue(std::string_view json_text, std::string_view source) {
  document_builder builder;
  if (!json::sax_parse(json_text.begin(), json_text.end(), &builder))
    return caf::make_error(ec::invalid_input, std::string{source} + ": " + builder.error());
  return venue_reader{source}.read(builder.document());
}

caf::expected<venue> load_venue_file(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text)
    return std::move(text.error());
  return parse_venue(*text, path.string());
}

// -- writing ------------------------------------------------------------------

std::string to_json(const venue& v) {
  std::string out = "{\n";
  out += "  \"id\": " + dump(v.id) + ",\n";
  out += "  \"name\": " + dump(v.name) + ",\n";
  out += "  \"currency\": " + dump(v.currency) + ",\n";
  out += "  \"price_tiers\": ";
  append_list(out, v.tiers, 2, [&out](const price_tier& t) {
    out += "{\"id\":" + dump(t.id) + ",\"name\":" + dump(t.name) +
           ",\"price\":" + std::to_string(t.price) + "}";
  });
  out += ",\n  \"sections\": ";
  append_list(out, v.sections, 2, [&out](const section& s) {
    out += "{\n";
    out += "      \"id\": " + dump(s.id) + ",\n";
    out += "      \"name\": " + dump(s.name) + ",\n";
    out += "      \"tier\": " + dump(s.tier) + ",\n";
    out += "      \"rows\": ";
    append_list(out, s.rows, 6, [&out](const row& r) {
      out += "{\n";
      out += "          \"id\": " + dump(r.id) + ",\n";
      out += "          \"seats\": ";
      append_list(out, r.seats, 10, [&out](const seat& st) {
        out += "{\"id\":" + dump(st.id) + ",\"number\":" + std::to_string(st.number) +
               ",\"x\":" + dump(st.x) + ",\"y\":" + dump(st.y);
        if (st.accessible)
          out += ",\"accessible\":true";
        if (st.rank != 0)
          out += ",\"rank\":" + std::to_string(st.rank);
        out += '}';
      });
      out += "\n        }";
    });
    out += "\n    }";
  });
  out += "\n}\n";
  return out;
}

} // namespace seatgrab::domain
