// BatchNormalization over one feature axis, as keras.layers.BatchNormalization.
//   x viewed as (R, C, I) around the feature axis (R = batch * leading dims, I = trailing dims)
//   -> y same shape;  gamma, beta (C) trainable; moving_mean, moving_variance (C) not trainable.
// Training: mean/var over R*I values per feature (biased variance, as tf.nn.moments), then
//   moving = momentum * moving + (1 - momentum) * batch statistic.
// Inference: the moving statistics. Masks pass through and do not weight the statistics
// (Keras before 2.12 and TF.js behave so).
#include <cmath>
#include <vector>

#include "core/check.h"
#include "core/config.h"
#include "layers/axes.h"
#include "layers/affine_normalization.h"
#include "layers/registry.h"

namespace attn {
namespace {

class BatchNormalization final : public Layer {
 public:
  using Layer::Layer;

  const char* className() const override { return "BatchNormalization"; }
  void visitOptions(OptionList& o) override {
    o.integer("axis", axis_, -1);
    o.numberInRange("momentum", momentum_, 0.99f, 0.f, 1.f);
    affine_.visit(o);
    o.initializer("movingMeanInitializer", meanInit_, Initializer::zeros());
    o.initializer("movingVarianceInitializer", varianceInit_, Initializer::ones());
  }

  std::vector<Shape> onBuild(const std::vector<Shape>& in, ParamStore& store) override {
    ATTN_CHECK(in[0].rank >= 1, name_, ": expected input of rank >= 2 (batch included), got shape ",
               in[0].str(true));
    const int axis = axes::sampleAxis(name_, "axis", axis_, in[0].rank);
    axes::splitAround(in[0], axis, leading_, channels_, trailing_);
    // Keras order: gamma, beta, moving_mean, moving_variance.
    if (affine_.scale) gamma_ = addParam(store, "gamma", {channels_}, affine_.gammaInit, affine_.gammaReg);
    if (affine_.center) beta_ = addParam(store, "beta", {channels_}, affine_.betaInit, affine_.betaReg);
    movingMean_ = addParam(store, "moving_mean", {channels_}, meanInit_, {}, false);
    movingVariance_ = addParam(store, "moving_variance", {channels_}, varianceInit_, {}, false);
    setOutputCount(1);
    return {in[0]};
  }

  void onForward(const ForwardPass& pass) override {
    const Tensor& x = *pass.inputs[0];
    const int64_t rows = int64_t(x.dim(0)) * leading_;
    const int C = channels_, I = trailing_;
    const double count = double(rows) * I;
    mean_.resize(Shape{C});
    invStd_.resize(Shape{C});
    trainedLast_ = pass.training;
    if (pass.training) {
      // mean_c = sum x / n;  var_c = sum (x - mean_c)^2 / n
      std::vector<double>& sums = sums_;
      sums.assign(C, 0.0);
      forEach(rows, [&](int c, int64_t at, int n) {
        for (int i = 0; i < n; ++i) sums[c] += x[at + i];
      });
      for (int c = 0; c < C; ++c) mean_[c] = static_cast<float>(sums[c] / count);
      sums.assign(C, 0.0);
      forEach(rows, [&](int c, int64_t at, int n) {
        for (int i = 0; i < n; ++i) {
          const double d = double(x[at + i]) - mean_[c];
          sums[c] += d * d;
        }
      });
      for (int c = 0; c < C; ++c) {
        const float variance = static_cast<float>(sums[c] / count);
        invStd_[c] = 1.f / std::sqrt(variance + affine_.epsilon);
        // moving = momentum * moving + (1 - momentum) * batch
        movingMean_->value[c] = momentum_ * movingMean_->value[c] + (1.f - momentum_) * mean_[c];
        movingVariance_->value[c] = momentum_ * movingVariance_->value[c] + (1.f - momentum_) * variance;
      }
    } else {
      for (int c = 0; c < C; ++c) {
        mean_[c] = movingMean_->value[c];
        invStd_[c] = 1.f / std::sqrt(movingVariance_->value[c] + affine_.epsilon);
      }
    }
    Tensor& y = outputs_[0];
    y.resize(x.shape());
    normalized_.resize(x.shape());
    // xhat = (x - mean) * invStd;  y = gamma * xhat + beta
    forEach(rows, [&](int c, int64_t at, int n) {
      const float g = gamma_ ? gamma_->value[c] : 1.f, b = beta_ ? beta_->value[c] : 0.f;
      for (int i = 0; i < n; ++i) {
        const float xhat = (x[at + i] - mean_[c]) * invStd_[c];
        normalized_[at + i] = xhat;
        y[at + i] = g * xhat + b;
      }
    });
  }

  void onBackward(const BackwardPass& pass) override {
    const Tensor& dy = *pass.outputGrads[0];
    Tensor* dx = pass.inputGrads[0];
    const int64_t rows = int64_t(dy.dim(0)) * leading_;
    const int C = channels_;
    // sum dy and sum dy * xhat per feature: the parameter gradients and the training-mode dx need both.
    sumDy_.assign(C, 0.0);
    sumDyXhat_.assign(C, 0.0);
    forEach(rows, [&](int c, int64_t at, int n) {
      for (int i = 0; i < n; ++i) {
        sumDy_[c] += dy[at + i];
        sumDyXhat_[c] += double(dy[at + i]) * normalized_[at + i];
      }
    });
    for (int c = 0; c < C; ++c) {
      // dgamma += sum dy * xhat;  dbeta += sum dy
      if (gamma_) gamma_->grad[c] += static_cast<float>(sumDyXhat_[c]);
      if (beta_) beta_->grad[c] += static_cast<float>(sumDy_[c]);
    }
    if (!dx) return;
    const double count = double(rows) * trailing_;
    if (trainedLast_) {
      // dx += gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
      forEach(rows, [&](int c, int64_t at, int n) {
        const float g = (gamma_ ? gamma_->value[c] : 1.f) * invStd_[c];
        const float meanDy = static_cast<float>(sumDy_[c] / count);
        const float meanDyXhat = static_cast<float>(sumDyXhat_[c] / count);
        for (int i = 0; i < n; ++i) (*dx)[at + i] += g * (dy[at + i] - meanDy - normalized_[at + i] * meanDyXhat);
      });
    } else {
      // dx += gamma * invStd * dy  (the moving statistics are constants)
      forEach(rows, [&](int c, int64_t at, int n) {
        const float g = (gamma_ ? gamma_->value[c] : 1.f) * invStd_[c];
        for (int i = 0; i < n; ++i) (*dx)[at + i] += g * dy[at + i];
      });
    }
  }

 private:
  // Visits each contiguous run of one feature: (feature c, flat offset, run length I).
  template <class Visit>
  void forEach(int64_t rows, Visit visit) const {
    for (int64_t r = 0; r < rows; ++r)
      for (int c = 0; c < channels_; ++c) visit(c, (r * channels_ + c) * trailing_, trailing_);
  }

  int axis_ = -1;
  float momentum_ = 0.99f;
  AffineNormalization affine_;
  Initializer meanInit_, varianceInit_;
  int leading_ = 1, channels_ = 1, trailing_ = 1;
  Param* gamma_ = nullptr;
  Param* beta_ = nullptr;
  Param* movingMean_ = nullptr;
  Param* movingVariance_ = nullptr;
  bool trainedLast_ = false;
  Tensor mean_, invStd_, normalized_;
  std::vector<double> sums_, sumDy_, sumDyXhat_;
};

}  // namespace

ATTN_REGISTER_LAYER(BatchNormalization, "batchNormalization", "BatchNormalization")

}  // namespace attn
