// Where recvmmsg puts datagrams: one slab of `slots` slots, and per-slot arrays that JavaScript
// reads after each batch (length, flags, source). The memory is JavaScript's own (a Buffer and
// typed arrays handed to the constructor), so a batch reaches JavaScript with no copy and no
// allocation; the mmsghdr/iovec/sockaddr arrays the kernel needs are this object's.
#pragma once

#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

namespace udp_batch {

// flags[i] bits
constexpr uint8_t kTruncated = 1;  // the datagram was longer than a slot (MSG_TRUNC): only a part is there
constexpr uint8_t kIpv6 = 2;       // the source is IPv6 (ipv6 words, scope); else IPv4 (ipv4), mapped ones included

class ReceiveArea : public Napi::ObjectWrap<ReceiveArea> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ReceiveArea(const Napi::CallbackInfo& info);

  // One recvmmsg on `fd` (non-blocking): the number of datagrams now in the slots, 0 when
  // none was waiting, or -errno. Only valid until the next call, on any socket.
  int Receive(int fd);
  uint32_t slots() const { return slots_; }

 private:
  void Fill(int count);

  uint32_t slots_ = 0;
  uint32_t stride_ = 0;
  uint32_t slot_bytes_ = 0;
  uint8_t* slab_ = nullptr;
  uint32_t* lengths_ = nullptr;
  uint8_t* flags_ = nullptr;
  uint32_t* ipv4_ = nullptr;
  uint16_t* ports_ = nullptr;
  uint32_t* ipv6_ = nullptr;
  uint32_t* scopes_ = nullptr;
  // keeps the Buffer and typed arrays alive (and their memory where it is) while this lives
  Napi::ObjectReference views_;
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> sources_;
};

}  // namespace udp_batch
