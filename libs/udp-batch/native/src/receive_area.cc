#include "receive_area.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>

namespace udp_batch {

namespace {

// The typed array `name` of `views`, checked to hold `count` elements of type T.
template <typename T>
T* ViewOf(const Napi::Object& views, const char* name, napi_typedarray_type type, size_t count) {
  Napi::Value v = views.Get(name);
  if (!v.IsTypedArray()) return nullptr;
  Napi::TypedArray array = v.As<Napi::TypedArray>();
  if (array.TypedArrayType() != type || array.ElementLength() < count) return nullptr;
  auto* base = static_cast<uint8_t*>(array.ArrayBuffer().Data());
  return reinterpret_cast<T*>(base + array.ByteOffset());
}

}  // namespace

Napi::Function ReceiveArea::Define(Napi::Env env) {
  return DefineClass(env, "ReceiveArea", {});
}

// new ReceiveArea({ slots, slotBytes, stride, slab, lengths, flags, ipv4, ports, ipv6, scopes })
ReceiveArea::ReceiveArea(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ReceiveArea>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "ReceiveArea: expected the views object").ThrowAsJavaScriptException();
    return;
  }
  Napi::Object views = info[0].As<Napi::Object>();
  slots_ = views.Get("slots").ToNumber().Uint32Value();
  slot_bytes_ = views.Get("slotBytes").ToNumber().Uint32Value();
  stride_ = views.Get("stride").ToNumber().Uint32Value();
  const size_t n = slots_;
  if (n == 0 || slot_bytes_ == 0 || stride_ < slot_bytes_) {
    Napi::RangeError::New(env, "ReceiveArea: slots and slotBytes must be > 0, stride >= slotBytes").ThrowAsJavaScriptException();
    return;
  }
  slab_ = ViewOf<uint8_t>(views, "slab", napi_uint8_array, static_cast<size_t>(stride_) * n);
  lengths_ = ViewOf<uint32_t>(views, "lengths", napi_uint32_array, n);
  flags_ = ViewOf<uint8_t>(views, "flags", napi_uint8_array, n);
  ipv4_ = ViewOf<uint32_t>(views, "ipv4", napi_uint32_array, n);
  ports_ = ViewOf<uint16_t>(views, "ports", napi_uint16_array, n);
  ipv6_ = ViewOf<uint32_t>(views, "ipv6", napi_uint32_array, 4 * n);
  scopes_ = ViewOf<uint32_t>(views, "scopes", napi_uint32_array, n);
  if (!slab_ || !lengths_ || !flags_ || !ipv4_ || !ports_ || !ipv6_ || !scopes_) {
    Napi::TypeError::New(env, "ReceiveArea: a view is missing, of the wrong type, or too short").ThrowAsJavaScriptException();
    return;
  }
  views_ = Napi::Persistent(views);
  headers_.resize(n);
  iovecs_.resize(n);
  sources_.resize(n);
  for (size_t i = 0; i < n; i++) {
    iovecs_[i].iov_base = slab_ + i * stride_;
    iovecs_[i].iov_len = slot_bytes_;
    msghdr& h = headers_[i].msg_hdr;
    std::memset(&h, 0, sizeof h);
    h.msg_name = &sources_[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &iovecs_[i];
    h.msg_iovlen = 1;
  }
}

int ReceiveArea::Receive(int fd) {
  int n;
  do {
    n = recvmmsg(fd, headers_.data(), slots_, MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
  Fill(n);
  return n;
}

void ReceiveArea::Fill(int count) {
  for (int i = 0; i < count; i++) {
    msghdr& h = headers_[i].msg_hdr;
    lengths_[i] = headers_[i].msg_len;
    uint8_t flags = (h.msg_flags & MSG_TRUNC) ? kTruncated : 0;
    const sockaddr_storage& source = sources_[i];
    if (source.ss_family == AF_INET) {
      const auto& sin = reinterpret_cast<const sockaddr_in&>(source);
      ipv4_[i] = ntohl(sin.sin_addr.s_addr);
      ports_[i] = ntohs(sin.sin_port);
    } else {
      const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(source);
      ports_[i] = ntohs(sin6.sin6_port);
      const uint8_t* a = sin6.sin6_addr.s6_addr;
      if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
        // ::ffff:a.b.c.d on a dual-stack socket: an IPv4 peer, compared and shown as one
        ipv4_[i] = (uint32_t{a[12]} << 24) | (uint32_t{a[13]} << 16) | (uint32_t{a[14]} << 8) | a[15];
      } else {
        flags |= kIpv6;
        for (int w = 0; w < 4; w++)
          ipv6_[4 * i + w] = (uint32_t{a[4 * w]} << 24) | (uint32_t{a[4 * w + 1]} << 16) | (uint32_t{a[4 * w + 2]} << 8) | a[4 * w + 3];
        scopes_[i] = sin6.sin6_scope_id;
      }
    }
    flags_[i] = flags;
    // the kernel wrote the source's length here; the next call must offer the whole room again
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_flags = 0;
  }
}

}  // namespace udp_batch
