# The udp-batch addon: UDP sockets that receive with recvmmsg and send with sendmmsg (Linux).
# Built by `npm run build:native` (build.mjs), output in build/ (git-ignored).
{
  "targets": [
    {
      "target_name": "udp_batch",
      "sources": ["src/addon.cc", "src/receive_area.cc", "src/batch_socket.cc", "src/socket_address.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra"]
    }
  ]
}
