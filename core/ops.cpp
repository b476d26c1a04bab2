// core/ops.cpp — the names of the op kinds (core/ops.h).
#include "core/ops.h"

namespace ls {

const char* op_name(OpKind k) {
  static const char* const names[] = {
#define LS_OP_NAME(kind, name) name,
      LAYERSEG_OPS(LS_OP_NAME)
#undef LS_OP_NAME
  };
  return int(k) >= 0 && k < OpKind::Count ? names[int(k)] : "unknown";
}

}  // namespace ls
