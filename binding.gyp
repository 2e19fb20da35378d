{
  # CPU-only build of the addon (node-gyp, prebuildify). The sources and the kernels' instruction-set flags
  # come from native/sources.json, which CMakeLists.txt reads too (it adds the CUDA backend when nvcc is found).
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": [
      "NAPI_VERSION=8",
      "NAPI_CPP_EXCEPTIONS",
      "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
      "TDF_PACKAGE_VERSION=\"<!(node -p \"require('./package.json').version\")\""
    ],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    },
    "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] } }
  },
  "targets": [
    {
      "target_name": "tdfast",
      "sources": ["<!@(node scripts/sources.cjs sources)"],
      "conditions": [
        ["OS=='linux'", {
          "sources": ["<!@(node scripts/sources.cjs linux sources)"],
          "ldflags": ["<!@(node scripts/sources.cjs linux ldflags)"]
        }],
        ["target_arch=='x64'", {
          "defines": ["TDF_HAVE_X86_KERNELS"],
          "dependencies": ["tdfast_avx2", "tdfast_avx512"]
        }],
        ["target_arch=='arm64'", {
          "defines": ["<!@(node scripts/sources.cjs define arm64)"],
          "sources": ["<!@(node scripts/sources.cjs arch arm64)"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "tdfast_avx2",
          "type": "static_library",
          "sources": ["<!@(node scripts/sources.cjs isa avx2)"],
          "cflags_cc": ["<!@(node scripts/sources.cjs gcc avx2)"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<!@(node scripts/sources.cjs gcc avx2)"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["<!@(node scripts/sources.cjs msvc avx2)"] } }
        },
        {
          "target_name": "tdfast_avx512",
          "type": "static_library",
          "sources": ["<!@(node scripts/sources.cjs isa avx512)"],
          "cflags_cc": ["<!@(node scripts/sources.cjs gcc avx512)"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<!@(node scripts/sources.cjs gcc avx512)"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["<!@(node scripts/sources.cjs msvc avx512)"] } }
        }
      ]
    }]
  ]
}
