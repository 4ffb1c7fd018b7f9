{
  "targets": [
    {
      "target_name": "lockne_native",
      "sources": ["native/lockne_native.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
