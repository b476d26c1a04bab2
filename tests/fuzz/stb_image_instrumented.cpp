// tests/fuzz/stb_image_instrumented.cpp — stb_image's decoders compiled into each fuzz target, so that libFuzzer
// sees their coverage and ASan/UBSan check them (Debian's libstb.a is built without either). The definitions here
// are linked before libstb.a is searched, so its stb_image member is never pulled in. Built with -DLAYERSEG_FUZZ=ON.
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
