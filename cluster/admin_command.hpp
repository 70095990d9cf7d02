#pragma once

// The admin shell's command language, without actors: a command line's words parsed into one
// command (or an error that says what is wrong and how the command is used), and the help.
// The node parses what the shell sends, so every shell version speaks the node's language.

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace seatgrab::cluster {

/// What an admin command does.
enum class admin_verb {
  help,           ///< list the commands
  nodes,          ///< the members: up or down, last heartbeat, actors hosted
  events,         ///< the catalog's events
  actors,         ///< live actors, of one kind and/or on one member
  inspect,        ///< one actor's status, wherever it lives
  top,            ///< the busiest actors: by mailbox and by state changes
  audit,          ///< the audit log of every member that answers
  queue_open,     ///< open an event's waiting room now
  queue_pause,    ///< stop admitting
  queue_resume,   ///< admit again
  queue_rate,     ///< admissions per minute
  hold_release,   ///< release a fan's hold, with a reason
  event_close,    ///< end an event's sale: no joins, admissions or new holds
  price_freeze,   ///< stop the pricing rule for an event or one of its sections
  price_unfreeze, ///< let the rule move prices again
  price_level,    ///< set a section's price level by hand
  bots,           ///< an event's bot guard: rules, decisions by verdict and reason, offenders
  bots_mode,      ///< set a bot rule's mode: enforce, shadow or off
};

/// One parsed command.
struct admin_command {
  admin_verb verb = admin_verb::help;
  std::string kind;    ///< actors, inspect: the actor kind (actors: may be empty)
  std::string id;      ///< inspect: the actor's id; hold release: the hold id
  std::string node;    ///< actors: --node (empty: every member)
  std::string event;   ///< queue, hold release, event close, price: the event id
  std::string section; ///< price: the section (empty: the whole event)
  std::string reason;  ///< hold release: --reason; bots mode: the rule
  std::string mode;    ///< bots mode: enforce, shadow or off
  uint32_t number = 0; ///< queue rate: admissions per minute; top, audit: lines (0: default);
                       ///< price level: the level

  /// Whether it changes something (checked, then written to the audit log).
  bool changes() const noexcept;
};

/// The kinds of actor the shell names: section, event, queue, box_office, session, accounts,
/// pricing, bot_guard.
const std::vector<std::string>& admin_kinds();

/// The first word of every command, for completion.
const std::vector<std::string>& admin_verbs();

/// Parses a command line's words. Errors: `invalid_argument`, naming the word at fault and
/// the usage of the command.
caf::expected<admin_command> parse_admin_command(const std::vector<std::string>& words);

/// Splits a command line into words: blanks separate, double or single quotes group, a
/// backslash escapes the next character. Errors: `invalid_argument` for an unclosed quote.
caf::expected<std::vector<std::string>> split_command_line(const std::string& line);

/// The words joined into one line again, quoted where needed (for the audit log).
std::string join_command_line(const std::vector<std::string>& words);

/// What the `help` command prints.
const std::string& admin_help();

} // namespace seatgrab::cluster
