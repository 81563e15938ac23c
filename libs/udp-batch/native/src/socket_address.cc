#include "socket_address.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <uv.h>

namespace udp_batch {

int ParseAddress(int family, const std::string& host, int port, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof *out);
  if (port < 0 || port > 65535) return EINVAL;
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &sin->sin_addr) != 1) return EINVAL;
    *len = sizeof *sin;
    return 0;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(static_cast<uint16_t>(port));
  const size_t zone = host.find('%');
  const std::string bare = zone == std::string::npos ? host : host.substr(0, zone);
  if (inet_pton(AF_INET6, bare.c_str(), &sin6->sin6_addr) != 1) return EINVAL;
  if (zone != std::string::npos) {
    // A zone is an interface name (fe80::1%eth0) or its index (fe80::1%2), as libuv reads it.
    const std::string name = host.substr(zone + 1);
    unsigned index = if_nametoindex(name.c_str());
    if (index == 0) {
      char* end = nullptr;
      unsigned long n = std::strtoul(name.c_str(), &end, 10);
      if (name.empty() || *end != '\0') return EINVAL;
      index = static_cast<unsigned>(n);
    }
    sin6->sin6_scope_id = index;
  }
  *len = sizeof *sin6;
  return 0;
}

std::string ErrnoName(int err) {
  // libuv's error codes are the negated errno values on Linux.
  return uv_err_name(-err);
}

}  // namespace udp_batch
