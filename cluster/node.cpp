#include "cluster/node.hpp"

#include "cluster/admin.hpp"
#include "messages/system_config.hpp"
#include "persistence/group_commit.hpp"
#include "persistence/store.hpp"
#include "security/admission_token.hpp"
#include "security/encoding.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

namespace seatgrab::cluster {

node::config::config(size_t threads, bool remoting, const node_options& opts) {
  if (threads > 0)
    set("scheduler.max-threads", threads);
  if (remoting) {
    load<caf::io::middleman>();
    if (!opts.cluster_tls.ca.empty()) {
      // With a certificate, a key and a CA, CAF's OpenSSL module verifies every peer's
      // certificate against the CA and presents ours: mutual TLS.
      load<caf::openssl::manager>();
      openssl_certificate = opts.cluster_tls.cert;
      openssl_key = opts.cluster_tls.key;
      openssl_cafile = opts.cluster_tls.ca;
    }
    // Off by default in CAF 0.17: without them a frozen peer is never noticed. A member that
    // stops answering is dropped within 3 s, so its entities answer 503 well within 5 s.
    set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{500}});
    set("middleman.connection-timeout", caf::timespan{std::chrono::seconds{3}});
  }
  set("logger.verbosity", caf::atom("quiet"));
  register_types(*this);
}

namespace {

constexpr const char* admission_key_id = "k1";

// Bridge lanes of the edge: at 1,000 calls in flight each lane has ~16 pending, short enough
// for CAF 0.17's per-actor linear searches (actors/lanes.hpp).
constexpr size_t bridge_lanes = 64;

// A node secret (32 random bytes) from the meta column, made and stored on first start; in a
// cluster with a shared secret, derived from that instead (the same on every member).
caf::expected<std::vector<uint8_t>> load_secret(persistence::store& db, const std::string& key,
                                                const std::string& cluster_secret) {
  if (!cluster_secret.empty()) {
    auto derived = security::hmac_sha256(cluster_secret, "seatgrab " + key);
    if (!derived)
      return caf::make_error(ec::invalid_input,
                             "deriving " + key + " from the cluster secret failed");
    return std::vector<uint8_t>(derived->begin(), derived->end());
  }
  auto stored = db.get(persistence::column::meta, key);
  if (!stored)
    return stored.error();
  if (*stored)
    return std::vector<uint8_t>((*stored)->begin(), (*stored)->end());
  auto secret = security::key_ring::random_secret();
  persistence::write_set ws;
  ws.put(persistence::column::meta, key, std::string{secret.begin(), secret.end()});
  if (auto res = db.write(ws, true); !res)
    return res.error();
  return secret;
}

// The admission-token key survives restarts (tokens stay valid); made on first start.
caf::expected<std::shared_ptr<const security::key_ring>>
load_admission_keys(persistence::store& db, const std::string& cluster_secret) {
  auto secret = load_secret(db, std::string{"admission-key/"} + admission_key_id, cluster_secret);
  if (!secret)
    return secret.error();
  auto ring = std::make_shared<security::key_ring>();
  if (auto err = ring->add(admission_key_id, std::move(*secret)))
    return err;
  return std::shared_ptr<const security::key_ring>{std::move(ring)};
}

} // namespace

caf::expected<std::unique_ptr<node>> node::start(const node_options& opts) {
  auto db = persistence::store::open({opts.data_dir, opts.durability});
  if (!db)
    return db.error();
  // Every record is checked before the node takes traffic: a corrupted journal stops start-up.
  if (auto checked = (*db)->verify(); !checked)
    return caf::make_error(ec::storage_corruption,
                           "data dir " + opts.data_dir.string() + ": " + render(checked.error()));
  auto keys = load_admission_keys(**db, opts.cluster_secret);
  if (!keys)
    return keys.error();
  // The key of card-number hashes (velocity rules); kept like the admission key.
  auto card_key = load_secret(**db, "card-key", opts.cluster_secret);
  if (!card_key)
    return card_key.error();
  // The key of device fingerprints and step-up challenges (the edge's bot defence): the same
  // on every member, so that any edge derives the same device and checks any challenge.
  auto edge_key = load_secret(**db, "edge-key", opts.cluster_secret);
  if (!edge_key)
    return edge_key.error();
  std::unique_ptr<node> result{new node(std::move(*db), std::move(*keys),
                                        std::string{card_key->begin(), card_key->end()},
                                        std::string{edge_key->begin(), edge_key->end()}, opts)};
  // The catalog loads as it starts; if that failed, it is gone: say so now.
  auto& n = *result;
  if (auto events = n.call<std::vector<event_info>>(n.catalog(), atom::get_v, atom::events_v);
      !events)
    return caf::make_error(ec::storage_corruption,
                           "data dir " + opts.data_dir.string() +
                               ": the catalog does not load: " + render(events.error()));
  if (opts.cluster) {
    // Published even for a cluster of one: the admin shell connects to the cluster port.
    auto peering_opts = opts.peering;
    peering_opts.tls = !opts.cluster_tls.ca.empty();
    auto peering = start_peering(n.sys(), *opts.cluster, n.registry(), peering_opts);
    if (!peering)
      return peering.error();
    n.peering_ = std::move(*peering);
  }
  return result;
}

node::node(std::unique_ptr<persistence::store> db, std::shared_ptr<const security::key_ring> keys,
           std::string card_key, std::string edge_key, const node_options& opts)
    : db_(std::move(db)),
      // Memory-only writes are cheaper on the caller's thread than handed to a writer thread.
      writer_(std::make_unique<persistence::group_commit>(*db_, opts.durability !=
                                                                    persistence::durability::none)),
      cfg_(opts.threads, opts.cluster.has_value(), opts), sys_(cfg_) {
  auto ctx = std::make_shared<actors::actor_context>(actors::actor_context{
      db_.get(), writer_.get(), actors::wall_clock{sys_.clock().now(), opts.wall_origin},
      std::move(keys)});
  ctx->card_key = std::move(card_key);
  ctx->edge_key = std::move(edge_key);
  ctx->bot_defaults = opts.bot_defaults;
  ctx->bot_guard = opts.bot_guard;
  if (opts.cluster && opts.cluster->members.size() > 1)
    ctx->call_timeout = std::chrono::seconds{4};
  ctx_ = std::move(ctx);
  resolver_ = std::make_shared<actors::resolver>();
  lanes_ = std::make_unique<actors::lanes>(sys_, bridge_lanes);
  placement_ptr placement = std::make_shared<single_member>();
  if (opts.cluster)
    placement = std::make_shared<rendezvous>(opts.cluster->names(), opts.cluster->me().name);
  placement_ = placement;
  registry_ = spawn_registry(sys_, ctx_, resolver_, opts.actors, placement);
  catalog_ = spawn_catalog(sys_, ctx_, registry_);
  caf::anon_send(registry_, atom::put_v, atom::catalog_v, catalog_);
  admin_options admin_opts{opts.admin_token,
                           opts.cluster.value_or(membership{{member{"local", {}, {}}}}),
                           std::move(placement)};
  if (auto admin = spawn_admin(sys_, ctx_, registry_, catalog_, std::move(admin_opts))) {
    admin_ = std::move(*admin);
    caf::anon_send(registry_, atom::put_v, atom::admin_v, admin_);
  } else {
    spdlog::error("the admin actor does not start: {}", render(admin.error()));
  }
}

node::~node() {
  lanes_->stop();
  if (peering_)
    caf::anon_send_exit(peering_, caf::exit_reason::user_shutdown);
  if (admin_)
    caf::anon_send_exit(admin_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(catalog_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(registry_, caf::exit_reason::user_shutdown);
  catalog_ = nullptr;
  admin_ = nullptr;
  registry_ = nullptr;
  sys_.await_all_actors_done();
  writer_->close();
  // In `wal` mode acknowledged writes may still sit in the OS cache; a clean stop syncs them.
  if (auto res = db_->sync_wal(); !res)
    spdlog::error("syncing the WAL at shutdown: {}", render(res.error()));
}

} // namespace seatgrab::cluster
