// Embedding: y[..., :] = E[id, :] for each integer id of the input, as keras.layers.Embedding.
//   ids (B, ...) stored as floats -> y (B, ..., outputDim);  E "embeddings" (inputDim, outputDim)
//   maskZero: the output mask is (id != 0), shaped like the ids ((B, T) for sequences).
#include <cmath>

#include "core/check.h"
#include "core/config.h"
#include "kernels/kernels.h"
#include "layers/registry.h"

namespace attn {
namespace {

class Embedding final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "Embedding"; }
  void visitOptions(OptionList& o) override {
    o.positiveInt("inputDim", inputDim_);
    o.positiveInt("outputDim", outputDim_);
    o.boolean("maskZero", maskZero_, false);
    o.initializer("embeddingsInitializer", init_, Initializer::randomUniform(-0.05f, 0.05f));
    o.regularizer("embeddingsRegularizer", reg_);
    // Written only when set (Keras 2's input_length).
    o.custom(
        "inputLength",
        [&](const Json& value) {
          o.require(value.is_null() || (value.is_number_integer() && value.get<int>() >= 0),
                    "option 'inputLength' must be a positive integer, got ", value.dump());
          inputLength_ = value.is_null() ? 0 : value.get<int>();
        },
        [&] { return inputLength_ ? Json(inputLength_) : Json(nullptr); }, /*omitNull=*/true);
    // Keras' weights=[matrix]: named so the error says what to do instead.
    o.custom(
        "weights",
        [&](const Json& value) {
          o.require(value.is_null(),
                    "option 'weights' is not supported; load the matrix with setWeights after building the model");
        },
        [] { return Json(nullptr); }, /*omitNull=*/true);
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    ATTN_CHECK(in[0].rank + 1 < kMaxRank, name_, ": input of shape ", in[0].str(true), " has too many axes");
    if (inputLength_)
      ATTN_CHECK(in[0].rank == 1 && in[0][0] == inputLength_, name_, ": expected input of shape (None, ",
                 inputLength_, ") as set by inputLength, got ", in[0].str(true));
    embeddings_ = addParam(store, "embeddings", {inputDim_, outputDim_}, init_, reg_);
    setOutputCount(1);
    Shape out = in[0];
    out.dims[out.rank++] = outputDim_;
    return {out};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& ids = *pass.inputs[0];
    const int64_t count = ids.size();
    // Every id must be an exact integer row index; anything else is a data error worth naming.
    for (int64_t i = 0; i < count; ++i) {
      const float id = ids[i];
      if (!(id >= 0.f && id < static_cast<float>(inputDim_) && id == std::floor(id)))
        fail(name_, ": expected integer ids in [0, ", inputDim_, "), got ", id, " at flat index ", i);
    }
    Shape outShape = ids.shape();
    outShape.dims[outShape.rank++] = outputDim_;
    Tensor& y = outputs_[0];
    y.resize(outShape);
    // y[i, :] = E[ids[i], :]
    for (int64_t i = 0; i < count; ++i)
      kernels::copy(embeddings_->value + static_cast<int64_t>(ids[i]) * outputDim_, y.data() + i * outputDim_,
                    outputDim_);
    if (maskZero_) {
      mask_.resize(ids.shape());
      // mask = (id != 0)
      for (int64_t i = 0; i < count; ++i) mask_[i] = ids[i] != 0.f ? 1.f : 0.f;
    }
  }

  void onBackward(const BackwardPass& pass) override {
    // Ids have no gradient; only the looked-up rows of E receive one.
    const Tensor& ids = *pass.inputs[0];
    const Tensor& dy = *pass.outputGrads[0];
    // dE[ids[i], :] += dy[i, :]
    for (int64_t i = 0; i < ids.size(); ++i)
      kernels::addInPlace(dy.data() + i * outputDim_, embeddings_->grad + static_cast<int64_t>(ids[i]) * outputDim_,
                          outputDim_);
  }

  const Tensor* outputMask(int) const override { return maskZero_ ? &mask_ : nullptr; }

 private:
  int inputDim_ = 0, outputDim_ = 0, inputLength_ = 0;
  bool maskZero_ = false;
  Initializer init_;
  Regularizer reg_;
  Param* embeddings_ = nullptr;
  Tensor mask_;
};

}  // namespace

ATTN_REGISTER_LAYER(Embedding, "embedding", "Embedding")

}  // namespace attn
