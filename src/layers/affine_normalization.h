// What Keras' BatchNormalization and LayerNormalization share: epsilon, and the learnt scale
// gamma and offset beta (each optional) with their initializers and regularizers.
#pragma once
#include "layers/option_list.h"

namespace attn {

struct AffineNormalization {
  float epsilon = 1e-3f;
  bool center = true, scale = true;  // learn beta / gamma
  Initializer betaInit, gammaInit;
  Regularizer betaReg, gammaReg;

  void visit(OptionList& o) {
    o.number("epsilon", epsilon, 1e-3f);
    o.require(epsilon > 0.f, "option 'epsilon' must be positive, got ", epsilon);
    o.boolean("center", center, true);
    o.boolean("scale", scale, true);
    o.initializer("betaInitializer", betaInit, Initializer::zeros());
    o.initializer("gammaInitializer", gammaInit, Initializer::ones());
    o.regularizer("betaRegularizer", betaReg);
    o.regularizer("gammaRegularizer", gammaReg);
  }
};

}  // namespace attn
