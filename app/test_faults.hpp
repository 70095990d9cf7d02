#pragma once

// Test-only faults of `seatgrab serve`, for the kill -9 tests (tests/http/crash_test.cpp). Each
// is armed by an environment variable that only those tests set; without it `serve` runs
// exactly as before (the handler is not even wrapped). Never set them in a deployment: they
// kill the node on purpose.
//
// - SEATGRAB_TEST_KILL_BEFORE_REPLY=SUFFIX: the first 2xx answer to a POST whose target ends
//   with SUFFIX (e.g. "/checkout") is not sent. The node writes "test fault: kill before reply
//   to POST <target>: <body>" to standard output and SIGKILLs itself: everything the request
//   did (the effect and its idempotency record) is durable, the client never hears of it.
// - SEATGRAB_TEST_BOX_OFFICE_CRASH_AFTER_WRITES=N: every box office stops (as if killed) right
//   after its N-th journal write of the checkout saga (`box_office_options::crash_after_writes`),
//   leaving an order half done for the test to kill -9 the node over.

#include "cluster/node.hpp"
#include "http/server.hpp"

namespace seatgrab::app {

/// `inner`, or `inner` behind the kill-before-reply fault if its variable is set.
http::handler with_test_faults(http::handler inner);

/// Applies the box office fault to `opts` if its variable is set.
void apply_test_faults(cluster::node_options& opts);

} // namespace seatgrab::app
