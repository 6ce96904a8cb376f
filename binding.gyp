{
  "targets": [
    {
      "target_name": "maxent_rlhf_torch",
      "sources": ["native/src/addon.cc", "native/src/handle.cc", "native/src/ops.cc", "native/src/optim.cc", "native/src/pickle.cc", "native/src/runtime.cc", "native/src/distributed.cc", "native/src/generate.cc", "native/src/token-scores.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++14", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations",
                    "<!@(node scripts/torch-flags.mjs cflags)"],
      "libraries": ["<!@(node scripts/torch-flags.mjs libs)"]
    }
  ]
}
