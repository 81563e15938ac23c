// The udp-batch addon: ReceiveArea, BatchSocket, and ifName (an interface index's name, for
// showing an IPv6 zone as Node does).
#include <napi.h>
#include <net/if.h>

#include "addon_data.h"
#include "batch_socket.h"
#include "receive_area.h"

namespace udp_batch {

namespace {

Napi::Value IfName(const Napi::CallbackInfo& info) {
  char name[IF_NAMESIZE];
  const unsigned index = info[0].ToNumber().Uint32Value();
  if (index == 0 || if_indextoname(index, name) == nullptr) return info.Env().Undefined();
  return Napi::String::New(info.Env(), name);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function area = ReceiveArea::Define(env);
  data->receive_area = Napi::Persistent(area);
  env.SetInstanceData(data);
  exports.Set("ReceiveArea", area);
  exports.Set("BatchSocket", BatchSocket::Define(env));
  exports.Set("ifName", Napi::Function::New(env, IfName, "ifName"));
  return exports;
}

}  // namespace udp_batch

static Napi::Object InitUdpBatch(Napi::Env env, Napi::Object exports) {
  return udp_batch::Init(env, exports);
}

NODE_API_MODULE(udp_batch, InitUdpBatch)
