// Fetches one user-data `#include` URL, http:// or https://. https verifies the
// server's certificate against the system's CA store and its name against the
// URL's host (transport.hpp); no credentials in URLs; up to 5 redirects
// (301, 302, 303, 307, 308) are followed, but never from https:// to http://:
// a downgrade would let anyone on the path change what the instance runs, so it
// fails naming both URLs (cloud-init, through requests, follows it). A timeout
// per connect/read, bounded retries on connection errors and 5xx/429 (not on a
// TLS failure: it would fail again), and the body capped at
// limits::k_user_data_bytes. Never logs the body.
#pragma once

#include <string>

#include "agent/core/deadline.hpp"
#include "agent/core/result.hpp"
#include "agent/imds/transport.hpp"

namespace kindling::imds {

// At most this many redirects are followed for one fetch.
inline constexpr int k_max_redirects = 5;

// `url` as messages show it: without user info, query and fragment, which may
// carry credentials (a presigned S3 URL's signature). "(unparsable URL)" if
// it cannot be parsed.
[[nodiscard]] std::string shown_url(const std::string& url);

// GET `url`; errors read "'URL': 404 Not Found" or "'URL': connection refused
// (3 tries)", the URL as shown_url() gives it.
// `retries` is the number of extra tries after the first (0: try once). `tls`
// is the test seam for https: the agent always passes the default (the
// system's CA store).
[[nodiscard]] Result<std::string> fetch_url(const std::string& url, core::Millis timeout = core::Millis(10000),
                                            int retries = 2, const detail::TlsSettings& tls = {});

}  // namespace kindling::imds
