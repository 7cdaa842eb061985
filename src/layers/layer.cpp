#include "layers/layer.h"

namespace attn {

const Tensor* Layer::outputMask(const ForwardPass& pass, int /*index*/) const {
  return pass.masks.empty() ? nullptr : pass.masks[0];
}

int64_t Layer::countParams(bool trainableOnly) const {
  int64_t n = 0;
  for (const Param* p : params_)
    if (!trainableOnly || p->trainable) n += p->size();
  return n;
}

Param* Layer::addParam(ParamStore& store, const std::string& shortName, const Shape& shape, const Initializer& init,
                       const Regularizer& reg, bool trainable) {
  Param* p = store.add(name_ + "/" + shortName, shape, init, reg, trainable);
  params_.push_back(p);
  return p;
}

}  // namespace attn
