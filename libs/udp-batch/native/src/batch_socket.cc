#include "batch_socket.h"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon_data.h"
#include "socket_address.h"

namespace udp_batch {

namespace {

// recvmmsg calls per readable event: 4 x 64 datagrams, then the loop moves on, so one busy
// socket cannot starve the others (the poll is level-triggered: what is left wakes it again).
constexpr int kBatchesPerWake = 4;
// datagrams per sendmmsg call
constexpr int kSendBatch = 64;

Napi::Value ErrnoResult(Napi::Env env, int err) {
  return err == 0 ? env.Undefined() : Napi::String::New(env, ErrnoName(err));
}

}  // namespace

Napi::Function BatchSocket::Define(Napi::Env env) {
  return DefineClass(env, "BatchSocket",
                     {
                         InstanceMethod<&BatchSocket::Bind>("bind"),
                         InstanceMethod<&BatchSocket::Connect>("connect"),
                         InstanceMethod<&BatchSocket::LocalPort>("localPort"),
                         InstanceMethod<&BatchSocket::RecvBufferSize>("recvBufferSize"),
                         InstanceMethod<&BatchSocket::SendFramed>("sendFramed"),
                         InstanceMethod<&BatchSocket::SendErrors>("sendErrors"),
                         InstanceMethod<&BatchSocket::Close>("close"),
                     });
}

// new BatchSocket(area: ReceiveArea | null, onBatch: ((count) => void) | null)
// Without an area and callback the socket only sends (it is never polled).
BatchSocket::BatchSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BatchSocket>(info) {
  Napi::Env env = info.Env();
  const bool receives = info.Length() >= 2 && info[0].IsObject() && info[1].IsFunction();
  if (receives) {
    Napi::Object area = info[0].As<Napi::Object>();
    AddonData* data = env.GetInstanceData<AddonData>();
    if (!area.InstanceOf(data->receive_area.Value())) {
      Napi::TypeError::New(env, "BatchSocket: the first argument must be a ReceiveArea").ThrowAsJavaScriptException();
      return;
    }
    area_ = ReceiveArea::Unwrap(area);
    area_ref_ = Napi::Persistent(area);
    on_batch_ = Napi::Persistent(info[1].As<Napi::Function>());
    async_ = std::make_unique<Napi::AsyncContext>(env, "UdpBatchSocket");
  } else if (info.Length() >= 1 && !info[0].IsNull() && !info[0].IsUndefined()) {
    Napi::TypeError::New(env, "BatchSocket: expected (ReceiveArea, onBatch) or nothing").ThrowAsJavaScriptException();
  }
}

BatchSocket::~BatchSocket() {
  // Only reached unpolled (a strong reference is held from poll start to close end) or at env
  // teardown: release whatever is still held, never call into JavaScript.
  if (poll_ != nullptr) {
    poll_->data = nullptr;
    if (!closing_) uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnHandleClosed);
    poll_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// bind(family: 4 | 6, host: string, port: number, recvBufferBytes: number): undefined | errno name
// Creates the socket, sets SO_RCVBUF (when > 0), binds (no SO_REUSEADDR: the bind is the test
// of the port) and, for a receiving socket, starts polling. On failure nothing stays open.
Napi::Value BatchSocket::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ >= 0 || closing_) return Napi::String::New(env, closing_ ? "EBADF" : "EALREADY");
  const int family = info[0].ToNumber().Int32Value() == 6 ? AF_INET6 : AF_INET;
  const std::string host = info[1].ToString().Utf8Value();
  const int port = info[2].ToNumber().Int32Value();
  const int recv_buffer = info[3].ToNumber().Int32Value();
  sockaddr_storage address;
  socklen_t address_len = 0;
  if (int err = ParseAddress(family, host, port, &address, &address_len)) return ErrnoResult(env, err);

  const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoResult(env, errno);
  if (recv_buffer > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &recv_buffer, sizeof recv_buffer);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), address_len) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoResult(env, err);
  }
  int actual = 0;
  socklen_t actual_len = sizeof actual;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &actual_len) == 0) recv_buffer_bytes_ = actual;

  if (area_ != nullptr) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    auto* poll = new uv_poll_t;
    int err = uv_poll_init(loop, poll, fd);
    if (err == 0) {
      poll->data = this;
      err = uv_poll_start(poll, UV_READABLE, OnPoll);
      if (err != 0) {
        poll->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(poll), OnHandleClosed);
        poll = nullptr;
      }
    } else {
      delete poll;
      poll = nullptr;
    }
    if (poll == nullptr) {
      ::close(fd);
      return ErrnoResult(env, -err);
    }
    poll_ = poll;
    Ref();  // a polled socket lives until it is closed, as a bound dgram socket does
  }
  fd_ = fd;
  return env.Undefined();
}

// connect(family: 4 | 6, host: string, port: number): undefined | errno name (the simulator's peer)
Napi::Value BatchSocket::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return Napi::String::New(env, "EBADF");
  const int family = info[0].ToNumber().Int32Value() == 6 ? AF_INET6 : AF_INET;
  sockaddr_storage address;
  socklen_t address_len = 0;
  if (int err = ParseAddress(family, info[1].ToString().Utf8Value(), info[2].ToNumber().Int32Value(), &address, &address_len))
    return ErrnoResult(env, err);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), address_len) != 0) return ErrnoResult(env, errno);
  return env.Undefined();
}

Napi::Value BatchSocket::LocalPort(const Napi::CallbackInfo& info) {
  sockaddr_storage address;
  socklen_t len = sizeof address;
  if (fd_ < 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &len) != 0) return Napi::Number::New(info.Env(), -1);
  const int port = address.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6&>(address).sin6_port)
                                                 : ntohs(reinterpret_cast<sockaddr_in&>(address).sin_port);
  return Napi::Number::New(info.Env(), port);
}

Napi::Value BatchSocket::RecvBufferSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), recv_buffer_bytes_);
}

Napi::Value BatchSocket::SendErrors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), send_errors_);
}

// sendFramed(frames: Buffer, headerBytes: 2 | 4, from: number): number
// Sends each RTP packet of `frames` (RFC 4571: 2-byte length; RFC 2326: '$', channel, 2-byte
// length) from byte `from` as one datagram to the connected peer, 64 per sendmmsg. Returns the
// byte offset reached: frames.length when all went out (a truncated last frame is dropped),
// less when the socket's send buffer is full (EAGAIN: call again from there). A datagram the
// kernel refuses otherwise (ECONNREFUSED after an ICMP unreachable, ...) is skipped and counted.
Napi::Value BatchSocket::SendFramed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0 || !info[0].IsBuffer()) return Napi::Number::New(env, -1);
  Napi::Buffer<uint8_t> frames = info[0].As<Napi::Buffer<uint8_t>>();
  const size_t header = info[1].ToNumber().Uint32Value();
  size_t at = info[2].ToNumber().Uint32Value();
  const uint8_t* data = frames.Data();
  const size_t size = frames.Length();
  if (header < 2) return Napi::Number::New(env, static_cast<double>(size));

  mmsghdr messages[kSendBatch];
  iovec iovecs[kSendBatch];
  size_t ends[kSendBatch];
  while (at < size) {
    int count = 0;
    for (size_t next = at; count < kSendBatch && next + header <= size; count++) {
      const size_t length = (size_t{data[next + header - 2]} << 8) | data[next + header - 1];
      if (next + header + length > size) break;
      iovecs[count].iov_base = const_cast<uint8_t*>(data + next + header);
      iovecs[count].iov_len = length;
      std::memset(&messages[count], 0, sizeof messages[count]);
      messages[count].msg_hdr.msg_iov = &iovecs[count];
      messages[count].msg_hdr.msg_iovlen = 1;
      next += header + length;
      ends[count] = next;
    }
    if (count == 0) return Napi::Number::New(env, static_cast<double>(size));  // only a truncated frame is left
    const int sent = sendmmsg(fd_, messages, count, MSG_DONTWAIT);
    if (sent > 0) {
      at = ends[sent - 1];
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      break;
    } else {
      send_errors_++;
      at = ends[0];
    }
  }
  return Napi::Number::New(env, static_cast<double>(at));
}

// close(onClosed: () => void): boolean
// true: `onClosed` runs once the poll handle is closed and the descriptor with it; false: there
// was nothing to wait for (never polled, already closed): the descriptor, if any, is closed now.
Napi::Value BatchSocket::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closing_) return Napi::Boolean::New(env, false);
  closing_ = true;
  if (poll_ == nullptr) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return Napi::Boolean::New(env, false);
  }
  if (info.Length() > 0 && info[0].IsFunction()) on_closed_ = Napi::Persistent(info[0].As<Napi::Function>());
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnHandleClosed);
  return Napi::Boolean::New(env, true);
}

void BatchSocket::OnPoll(uv_poll_t* handle, int /*status*/, int /*events*/) {
  // An error status is read like readability: recvmmsg reports (and clears) it.
  auto* self = static_cast<BatchSocket*>(handle->data);
  if (self != nullptr && !self->closing_) self->OnReadable();
}

void BatchSocket::OnReadable() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  for (int turn = 0; turn < kBatchesPerWake; turn++) {
    const int count = area_->Receive(fd_);
    if (count <= 0) return;  // drained, or an error the socket reported once (ICMP on a connected socket)
    on_batch_.MakeCallback(Value(), {Napi::Number::New(env, count)}, *async_);
    if (env.IsExceptionPending()) {
      // as an exception in a dgram 'message' listener: the process's uncaught exception
      Napi::Error error = env.GetAndClearPendingException();
      napi_fatal_exception(env, error.Value());
      return;
    }
    if (closing_ || static_cast<uint32_t>(count) < area_->slots()) return;
  }
}

void BatchSocket::OnHandleClosed(uv_handle_t* handle) {
  auto* self = static_cast<BatchSocket*>(handle->data);
  delete reinterpret_cast<uv_poll_t*>(handle);
  if (self != nullptr) self->Closed();
}

void BatchSocket::Closed() {
  poll_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (!on_closed_.IsEmpty()) {
    Napi::FunctionReference callback = std::move(on_closed_);
    callback.MakeCallback(Value(), {}, *async_);
    if (env.IsExceptionPending()) napi_fatal_exception(env, env.GetAndClearPendingException().Value());
  }
  Unref();  // taken at poll start: the object may be collected now
}

}  // namespace udp_batch
