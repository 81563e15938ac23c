// Socket addresses for the udp-batch addon: a literal IP (with an optional IPv6 zone) and a
// port into a sockaddr, and errno values into the names Node gives them (EADDRINUSE, ...).
#pragma once

#include <string>
#include <sys/socket.h>

namespace udp_batch {

// Fills `out` for `host` (an IPv4 literal for AF_INET, an IPv6 literal, "%zone" allowed, for
// AF_INET6) and `port`; returns 0, or EINVAL when `host` is not a literal of that family.
int ParseAddress(int family, const std::string& host, int port, sockaddr_storage* out, socklen_t* len);

// "EADDRINUSE" for EADDRINUSE: libuv's names, which are the `code`s Node puts on its errors.
std::string ErrnoName(int err);

}  // namespace udp_batch
