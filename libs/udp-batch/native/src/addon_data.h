// Per-environment data of the udp-batch addon (one per Node environment: main thread, workers).
#pragma once

#include <napi.h>

namespace udp_batch {

struct AddonData {
  // to check that a BatchSocket is given a real ReceiveArea
  Napi::FunctionReference receive_area;
};

}  // namespace udp_batch
