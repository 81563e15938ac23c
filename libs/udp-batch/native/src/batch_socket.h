// One UDP socket of the udp-batch addon: bound like a dgram socket without SO_REUSEADDR,
// polled on the Node event loop (uv_poll_t, no thread), received with recvmmsg into a shared
// ReceiveArea and handed to JavaScript as one call per batch; closed through uv_close, with
// the close reported only once the descriptor is gone. Sending (sendmmsg of RFC 4571/2326
// framed packets to the connected peer) serves the device simulator.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

#include "receive_area.h"

namespace udp_batch {

class BatchSocket : public Napi::ObjectWrap<BatchSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit BatchSocket(const Napi::CallbackInfo& info);
  ~BatchSocket() override;

 private:
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value LocalPort(const Napi::CallbackInfo& info);
  Napi::Value RecvBufferSize(const Napi::CallbackInfo& info);
  Napi::Value SendFramed(const Napi::CallbackInfo& info);
  Napi::Value SendErrors(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnHandleClosed(uv_handle_t* handle);
  void OnReadable();
  void Closed();

  int fd_ = -1;
  int recv_buffer_bytes_ = 0;
  double send_errors_ = 0;
  bool closing_ = false;
  // heap-allocated: libuv owns it from uv_close until its close callback, which may come
  // after this object is gone (env teardown); `data` then is null
  uv_poll_t* poll_ = nullptr;
  ReceiveArea* area_ = nullptr;
  Napi::ObjectReference area_ref_;
  Napi::FunctionReference on_batch_;
  Napi::FunctionReference on_closed_;
  std::unique_ptr<Napi::AsyncContext> async_;
};

}  // namespace udp_batch
