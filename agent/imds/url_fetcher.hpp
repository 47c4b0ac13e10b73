// Fetches one user-data `#include` URL. http:// only (no TLS stack is linked;
// cloud-init also accepts https, so such a URL fails with a clear error), no
// credentials in URLs, redirects not followed (a 3xx is an error naming it), a
// timeout per connect/read, bounded retries on connection errors and 5xx/429, and the
// body capped at limits::k_user_data_bytes. Never logs the body.
#pragma once

#include <string>

#include "agent/core/deadline.hpp"
#include "agent/core/result.hpp"

namespace kindling::imds {

// GET `url`; errors read "'URL': 404 Not Found" or "'URL': connection refused (3 tries)".
// `retries` is the number of extra tries after the first (0: try once).
[[nodiscard]] Result<std::string> fetch_url(const std::string& url, core::Millis timeout = core::Millis(10000),
                                            int retries = 2);

}  // namespace kindling::imds
