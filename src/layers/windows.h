// The 1-D window rule Conv1D and the pooling layers share, as Keras computes it: output length
// and left padding per padding mode. With span = dilation (taps - 1) + 1:
//   valid:  out = floor((T - span) / stride) + 1, no padding;
//   same:   out = ceil(T / stride), padding max((out - 1) stride + span - T, 0) split with the
//           smaller half on the left;
//   causal: out = ceil(T / stride), span - 1 steps of padding on the left (Conv1D only).
#pragma once
#include "core/check.h"
#include "kernels/kernels.h"
#include "layers/option_list.h"

namespace attn {

enum class Padding { Valid, Same, Causal };

inline void paddingOption(OptionList& o, Padding& padding, bool allowCausal) {
  if (allowCausal)
    o.choice("padding", padding, Padding::Valid,
             {{"valid", Padding::Valid}, {"same", Padding::Same}, {"causal", Padding::Causal}});
  else
    o.choice("padding", padding, Padding::Valid, {{"valid", Padding::Valid}, {"same", Padding::Same}});
}

inline kernels::Windows1D windowsOver(const std::string& layer, Padding padding, int steps, int channels, int taps,
                                      int stride, int dilation) {
  const int span = dilation * (taps - 1) + 1;
  kernels::Windows1D w{steps, channels, taps, stride, dilation, 0, 0};
  switch (padding) {
    case Padding::Valid:
      ATTN_CHECK(steps >= span, layer, ": a window of ", span, " steps does not fit an input of ", steps,
                 " steps with padding 'valid'");
      w.outSteps = (steps - span) / stride + 1;
      break;
    case Padding::Same: {
      w.outSteps = (steps + stride - 1) / stride;
      const int total = (w.outSteps - 1) * stride + span - steps;
      w.padLeft = total > 0 ? total / 2 : 0;
      break;
    }
    case Padding::Causal:
      w.outSteps = (steps + stride - 1) / stride;
      w.padLeft = span - 1;
      break;
  }
  return w;
}

}  // namespace attn
