// Keras axis options (`axis`, `axes`, `dims`) as the layers in this folder read them.
#pragma once
#include <string>

#include "core/check.h"
#include "core/shape.h"

namespace attn::axes {

// Keras axes count the batch as axis 0 and may be negative. Returns the per-sample axis
// (0-based, batch excluded) of a tensor whose per-sample rank is `sampleRank`.
inline int sampleAxis(const std::string& layer, const char* option, int axis, int sampleRank) {
  const int fullRank = sampleRank + 1;
  const int resolved = axis < 0 ? axis + fullRank : axis;
  ATTN_CHECK(resolved >= 0 && resolved < fullRank, layer, ": option '", option, "' = ", axis,
             " is out of range for inputs of rank ", fullRank, " (batch included)");
  ATTN_CHECK(resolved != 0, layer, ": option '", option, "' cannot be the batch axis 0");
  return resolved - 1;
}

// Views a shape as (outer, axis, inner) around dimension `axis`.
inline void splitAround(const Shape& s, int axis, int& outer, int& extent, int& inner) {
  outer = 1;
  inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  extent = s[axis];
  for (int i = axis + 1; i < s.rank; ++i) inner *= s[i];
}

}  // namespace attn::axes
